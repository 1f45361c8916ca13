namespace ElmoKeras.Weights;

/// <summary>
/// One named array read from a weight file, in row-major (C) order, with the name and shape the
/// file gave it. Format readers produce these; the model code maps them onto its parameters.
/// </summary>
/// <param name="Name">The variable or dataset name as stored in the file, e.g. <c>CNN/W_cnn_0</c>.</param>
/// <param name="Shape">The dimensions, outermost first; empty for a scalar.</param>
/// <param name="Data">The values, <c>Shape</c>'s product of them.</param>
public sealed record WeightArray(string Name, long[] Shape, float[] Data)
{
    /// <summary>The shape written as <c>[a, b, c]</c>, for error messages.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>Formats a shape as <c>[a, b, c]</c>.</summary>
    public static string FormatShape(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";
}
