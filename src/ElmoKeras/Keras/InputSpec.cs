namespace ElmoKeras;

/// <summary>
/// What one input of a layer must look like, as Keras's <c>InputSpec</c>: rank bounds, element type
/// and fixed sizes of some axes. A layer states its specs in <see cref="Layer.InputSpecs"/>, and the
/// layer checks them the same way whether it is applied to symbolic inputs (<see cref="Layer.Apply"/>)
/// or run on values (<see cref="Layer.Invoke"/>), so a mismatch fails with the same message either way.
/// </summary>
public sealed class InputSpec
{
    /// <summary>Exact rank, counting the batch dimension.</summary>
    public int? Rank { get; init; }

    /// <summary>Smallest rank, counting the batch dimension.</summary>
    public int? MinRank { get; init; }

    /// <summary>Largest rank, counting the batch dimension.</summary>
    public int? MaxRank { get; init; }

    /// <summary>Required element type; null accepts any numeric type (text only where the layer accepts text).</summary>
    public DType? DType { get; init; }

    /// <summary>
    /// Required sizes by axis (negative counts from the end): a number must match; null means the size
    /// must be known (not <c>null</c> in a symbolic shape).
    /// </summary>
    public IReadOnlyDictionary<int, long?> Axes { get; init; } = new Dictionary<int, long?>();

    /// <summary>The expected layout for messages, e.g. <c>[batch, steps, features]</c>.</summary>
    public string? Layout { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the layer, the input and what was expected when the input does not match.</summary>
    internal void Check(Layer layer, int index, IReadOnlyList<long?> shape, DType dtype, int inputCount)
    {
        string which = inputCount == 1 ? "" : $" input {index}";
        string expected = Layout is null ? "" : $" ({Layout})";
        string received = $"received shape {KerasTensor.FormatShape(shape)}";
        if (DType is { } type && type != dtype)
            throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}){which} expects {(type == global::ElmoKeras.DType.String ? "text" : $"dtype {type.ToString().ToLowerInvariant()}")}{expected}, received dtype {dtype.ToString().ToLowerInvariant()} ({received}).");
        if (Rank is int rank && shape.Count != rank)
            throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}){which} expects rank {rank}{expected}, {received}.");
        if (MinRank is int min && shape.Count < min)
            throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}){which} expects rank >= {min}{expected}, {received}.");
        if (MaxRank is int max && shape.Count > max)
            throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}){which} expects rank <= {max}{expected}, {received}.");
        foreach (var (axis, size) in Axes)
        {
            int at = axis < 0 ? shape.Count + axis : axis;
            if (at < 0 || at >= shape.Count) continue;
            if (size is null && shape[at] is null)
                throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}){which} needs a known size on axis {axis}{expected}, {received}.");
            if (size is long want && shape[at] is long got && got != want)
                throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}){which} expected input with {(axis == -1 ? "last dimension" : $"axis {axis} of size")} {want}, {received}.");
        }
    }
}
