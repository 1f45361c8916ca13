using static TorchSharp.torch;

namespace ElmoKeras.Keras.Layers;

/// <summary>Mean over the time axis of [batch, steps, features], counting only unmasked steps.</summary>
public sealed class GlobalAveragePooling1D(string? name = null) : Layer(name)
{
    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override void CheckInputs(IReadOnlyList<IReadOnlyList<long?>> inputShapes, IReadOnlyList<DType> inputTypes)
    {
        base.CheckInputs(inputShapes, inputTypes);
        if (inputShapes[0].Count != 3) throw new ArgumentException($"Layer '{Name}' (GlobalAveragePooling1D) expects [batch, steps, features], received shape {KerasTensor.FormatShape(inputShapes[0])}.");
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => [inputShapes[0][0], inputShapes[0][2]];

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor x = inputs[0].ExpectTensor(Name);
        using var scope = NewDisposeScope();
        Tensor result;
        if (inputs[0].Mask is Tensor mask)
        {
            Tensor weight = mask.to_type(x.dtype).unsqueeze(2);
            result = (x * weight).sum(1) / weight.sum(1).clamp_min(1);
        }
        else result = x.mean([1]);
        return LayerValue.FromTensor(result.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(IReadOnlyList<LayerValue> inputs, LayerValue output) => null;
}
