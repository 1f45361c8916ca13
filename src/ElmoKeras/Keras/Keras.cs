namespace ElmoKeras;

/// <summary>Entry points of the Keras-style API, named as in Keras.</summary>
public static class Keras
{
    /// <summary>
    /// A model input: <paramref name="shape"/> without the batch dimension. Text inputs use
    /// <see cref="DType.String"/>: <c>Keras.Input(shape: [1], dtype: DType.String)</c> for one string
    /// per example (as the ELMo recipe does), <c>shape: [null]</c> for token lists.
    /// </summary>
    public static KerasTensor Input(long?[] shape, DType dtype = DType.Float32, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (long? d in shape)
            if (d is <= 0) throw new ArgumentException($"Input shape dimensions must be positive or null, got {KerasTensor.FormatShape(shape)}.", nameof(shape));
        return new KerasTensor([null, .. shape], dtype, name ?? "input", producer: null);
    }
}
