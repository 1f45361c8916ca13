using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>During training, zeroes a fraction <see cref="Rate"/> of inputs and scales the rest by 1/(1−rate); identity otherwise.</summary>
public sealed class Dropout : Layer
{
    /// <param name="rate">Fraction dropped, in [0, 1).</param>
    /// <param name="name">Layer name.</param>
    public Dropout(double rate, string? name = null) : base(name)
    {
        if (rate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(rate), rate, "Dropout rate must be in [0, 1).");
        Rate = rate;
    }

    /// <summary>Fraction of inputs dropped during training.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor x = inputs[0].ExpectTensor(Name);
        return LayerValue.FromTensor(training && Rate > 0 ? nn.functional.dropout(x, Rate, training: true) : x.alias());
    }
}
