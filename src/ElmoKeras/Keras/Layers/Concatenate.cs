using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>Joins its inputs along <see cref="Axis"/> (default: the last).</summary>
public sealed class Concatenate(int axis = -1, string? name = null) : Layer(name)
{
    /// <summary>The axis joined along; negative counts from the end.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    private const string AlignmentHint = " Text layers line up step for step only when they split and cut the text alike (TextVectorization's maxLength = ElmoEmbeddingLayer's maxTokens).";

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
                    throw new ArgumentException($"Layer '{Name}' (Concatenate) needs matching shapes except on axis {Axis}, received {string.Join(" and ", inputShapes.Select(KerasTensor.FormatShape))}.{AlignmentHint}");
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
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor[] tensors = inputs.Select(i => i.ExpectTensor(Name)).ToArray();
        int rank = (int)tensors[0].dim();
        int axis = Axis < 0 ? rank + Axis : Axis;
        foreach (Tensor t in tensors)
            for (int d = 0; d < rank; d++)
                if (d != axis && (t.dim() != rank || t.shape[d] != tensors[0].shape[d]))
                    throw new ArgumentException($"Layer '{Name}' (Concatenate) got inputs of shapes {string.Join(" and ", tensors.Select(x => KerasTensor.FormatShape(x.shape.Select(d => (long?)d).ToArray())))}; all but axis {Axis} must match.{AlignmentHint}");
        return LayerValue.FromTensor(cat(tensors, Axis));
    }

    /// <summary>Joined along features, a step is real only where every masked input says so (as Keras does); along other axes, the first input's mask.</summary>
    protected override Tensor? ComputeMask(IReadOnlyList<LayerValue> inputs, LayerValue output)
    {
        long rank = output.Tensor!.dim();
        int axis = Axis < 0 ? (int)rank + Axis : Axis;
        Tensor?[] masks = inputs.Select(i => i.Mask).ToArray();
        if (axis != rank - 1 || masks.Count(m => m is not null) < 2) return masks.FirstOrDefault(m => m is not null);
        Tensor combined = masks.First(m => m is not null)!;
        foreach (Tensor? mask in masks.Skip(1)) if (mask is not null) combined = combined.logical_and(mask);
        return combined;
    }
}
