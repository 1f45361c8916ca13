namespace ElmoKeras.Weights.TensorBundle;

/// <summary>TensorFlow's <c>DataType</c> enum values that checkpoints use.</summary>
internal enum TfDataType
{
    /// <summary>DT_INVALID.</summary>
    Invalid = 0,
    /// <summary>DT_FLOAT (float32).</summary>
    Float = 1,
    /// <summary>DT_DOUBLE.</summary>
    Double = 2,
    /// <summary>DT_INT32.</summary>
    Int32 = 3,
    /// <summary>DT_UINT8.</summary>
    UInt8 = 4,
    /// <summary>DT_INT16.</summary>
    Int16 = 5,
    /// <summary>DT_INT8.</summary>
    Int8 = 6,
    /// <summary>DT_STRING (byte strings).</summary>
    String = 7,
    /// <summary>DT_INT64.</summary>
    Int64 = 9,
    /// <summary>DT_BOOL.</summary>
    Bool = 10,
    /// <summary>DT_BFLOAT16.</summary>
    BFloat16 = 14,
    /// <summary>DT_HALF (float16).</summary>
    Half = 19,
}

/// <summary>One tensor listed in a checkpoint's index.</summary>
/// <param name="Name">The variable's key, e.g. <c>bilm/CNN/W_cnn_0</c>.</param>
/// <param name="DataType">Element type.</param>
/// <param name="Shape">Dimensions; empty for a scalar.</param>
/// <param name="ShardId">Which data file holds it.</param>
/// <param name="Offset">Byte offset in that file.</param>
/// <param name="Size">Byte length.</param>
/// <param name="MaskedCrc32C">The stored (masked) CRC-32C of the bytes.</param>
internal sealed record TensorBundleEntry(string Name, TfDataType DataType, long[] Shape, int ShardId, long Offset, long Size, uint MaskedCrc32C)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
