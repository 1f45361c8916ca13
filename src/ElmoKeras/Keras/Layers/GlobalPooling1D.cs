using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>What the global 1-D poolings share: [batch, steps, features] in, [batch, features] out, masks consumed.</summary>
public abstract class GlobalPooling1D(string? name) : Layer(name)
{
    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs => [new InputSpec { Rank = 3, Layout = "[batch, steps, features]" }];

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => [inputShapes[0][0], inputShapes[0][2]];

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor x = inputs[0].ExpectTensor(Name);
        using var scope = NewDisposeScope();
        return LayerValue.FromTensor(Pool(x, inputs[0].Mask).MoveToOuterDisposeScope());
    }

    /// <summary>Pools [batch, steps, features] over steps, counting only real steps when <paramref name="mask"/> is given.</summary>
    protected abstract Tensor Pool(Tensor x, Tensor? mask);

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(IReadOnlyList<LayerValue> inputs, LayerValue output) => null;
}
