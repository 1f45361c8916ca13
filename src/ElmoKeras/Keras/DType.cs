namespace ElmoKeras;

/// <summary>The element type of a <see cref="KerasTensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit floats: what most layers take and give.</summary>
    Float32,
    /// <summary>64-bit integers, e.g. token ids for <see cref="Layers.Embedding"/>.</summary>
    Int64,
    /// <summary>Text, kept on the host as .NET strings until a text layer (ELMo) turns it into tensors.</summary>
    String,
}
