namespace ElmoKeras.Weights.TensorBundle;

/// <summary>
/// Base-128 varints of the LevelDB table format (block handles, block entries) and of TensorFlow's
/// string tensors (element lengths), with bounds checks. Kept by hand: these are not protobuf
/// messages (those go through Google.Protobuf) and no served library reads TensorFlow's SSTables.
/// </summary>
internal static class Varint
{
    /// <summary>Reads one varint at <paramref name="position"/> and advances past it.</summary>
    public static ulong Read(ReadOnlySpan<byte> bytes, ref int position, Func<string, Exception> error)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= bytes.Length) throw error("truncated varint");
            byte b = bytes[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw error("varint longer than 10 bytes");
    }
}
