using static TorchSharp.torch;

namespace ElmoKeras.Keras.Layers;

/// <summary>Maximum over the time axis of [batch, steps, features], over unmasked steps only.</summary>
public sealed class GlobalMaxPooling1D(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override void CheckInputs(IReadOnlyList<IReadOnlyList<long?>> inputShapes, IReadOnlyList<DType> inputTypes)
    {
        base.CheckInputs(inputShapes, inputTypes);
        if (inputShapes[0].Count != 3) throw new ArgumentException($"Layer '{Name}' (GlobalMaxPooling1D) expects [batch, steps, features], received shape {KerasTensor.FormatShape(inputShapes[0])}.");
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => [inputShapes[0][0], inputShapes[0][2]];

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor x = inputs[0].ExpectTensor(Name);
        using var scope = NewDisposeScope();
        Tensor result = inputs[0].Mask is Tensor mask
            ? x.masked_fill(mask.logical_not().unsqueeze(2), float.NegativeInfinity).amax(1)
            : x.amax(1);
        // A row with no real step has no maximum; give zeros rather than -inf.
        result = result.masked_fill(result.isneginf(), 0);
        return LayerValue.FromTensor(result.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(IReadOnlyList<LayerValue> inputs, LayerValue output) => null;
}
