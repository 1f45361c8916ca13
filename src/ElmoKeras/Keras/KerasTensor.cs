namespace ElmoKeras;

/// <summary>
/// A symbolic value in a functional model: its shape (the batch dimension is <c>null</c>), its
/// element type, and the layer that produces it. Made by <see cref="Keras.Input"/> and
/// <see cref="Layer.Apply(KerasTensor[])"/>; it holds no data.
/// </summary>
public sealed class KerasTensor
{
    internal KerasTensor(IReadOnlyList<long?> shape, DType dtype, string name, Node? producer)
    {
        Shape = shape;
        DType = dtype;
        Name = name;
        Producer = producer;
    }

    /// <summary>Dimensions, batch first (<c>null</c> where unknown).</summary>
    public IReadOnlyList<long?> Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The name of the input or of the producing layer.</summary>
    public string Name { get; }

    /// <summary>Number of dimensions, batch included.</summary>
    public int Rank => Shape.Count;

    internal Node? Producer { get; }

    /// <summary>The shape as Keras prints it, e.g. <c>(None, 1024)</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <inheritdoc/>
    public override string ToString() => $"<KerasTensor shape={ShapeText}, dtype={DType.ToString().ToLowerInvariant()}, name={Name}>";

    internal static string FormatShape(IReadOnlyList<long?> shape) =>
        "(" + string.Join(", ", shape.Select(d => d?.ToString() ?? "None")) + (shape.Count == 1 ? ",)" : ")");
}

/// <summary>One call of a layer in the graph: which tensors went in, which came out.</summary>
internal sealed record Node(Layer Layer, IReadOnlyList<KerasTensor> Inputs)
{
    public KerasTensor Output { get; set; } = null!;
}
