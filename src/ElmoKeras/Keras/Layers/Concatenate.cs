using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>Joins its inputs along <see cref="Axis"/> (default: the last).</summary>
public sealed class Concatenate(int axis = -1, string? name = null) : Layer(name)
{
    /// <summary>The axis joined along; negative counts from the end.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override void CheckInputs(IReadOnlyList<IReadOnlyList<long?>> inputShapes, IReadOnlyList<DType> inputTypes)
    {
        if (inputShapes.Count < 2) throw new ArgumentException($"Layer '{Name}' (Concatenate) needs at least two inputs, got {inputShapes.Count}.");
        int rank = inputShapes[0].Count;
        int axis = Axis < 0 ? rank + Axis : Axis;
        foreach (var shape in inputShapes)
        {
            if (shape.Count != rank) throw new ArgumentException($"Layer '{Name}' (Concatenate) needs inputs of equal rank, received {string.Join(" and ", inputShapes.Select(KerasTensor.FormatShape))}.");
            for (int d = 1; d < rank; d++)
                if (d != axis && shape[d] != inputShapes[0][d])
                    throw new ArgumentException($"Layer '{Name}' (Concatenate) needs matching shapes except on axis {Axis}, received {string.Join(" and ", inputShapes.Select(KerasTensor.FormatShape))}.");
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes)
    {
        int rank = inputShapes[0].Count;
        int axis = Axis < 0 ? rank + Axis : Axis;
        var shape = inputShapes[0].ToArray();
        shape[axis] = inputShapes.Any(s => s[axis] is null) ? null : inputShapes.Sum(s => s[axis]!.Value);
        return shape;
    }

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training) =>
        LayerValue.FromTensor(cat(inputs.Select(i => i.ExpectTensor(Name)).ToArray(), Axis));
}
