using TorchSharp.Modules;

namespace ElmoKeras;

/// <summary>One variable of a layer: a TorchSharp parameter with a Keras-style name.</summary>
public sealed class Weight
{
    internal Weight(Layer layer, string name, Parameter parameter, bool trainable, bool owned)
    {
        Owned = owned;
        Layer = layer;
        Name = name;
        Parameter = parameter;
        OwnTrainable = trainable;
    }

    /// <summary>The layer that owns the weight.</summary>
    public Layer Layer { get; }

    /// <summary>The weight's name within its layer, e.g. <c>kernel</c>.</summary>
    public string Name { get; }

    /// <summary><c>layer/weight</c>: the key in weight files.</summary>
    public string Path => $"{Layer.Name}/{Name}";

    /// <summary>The values.</summary>
    public Parameter Parameter { get; }

    /// <summary>Whether training changes this weight (its own flag and its layer's).</summary>
    public bool Trainable => OwnTrainable && Layer.Trainable;

    internal bool OwnTrainable { get; }

    /// <summary>
    /// What the optimizer's learning rate is multiplied by for this weight: below 1 for pretrained
    /// weights that fine-tuning should move gently (e.g. <see cref="ElmoLayer.ElmoLayerOptions.BiLmLearningRateScale"/>).
    /// </summary>
    public double LearningRateScale { get; internal init; } = 1;

    /// <summary>Whether disposing <see cref="Layer"/> frees this weight (else another object owns it).</summary>
    internal bool Owned { get; }

    /// <summary>The shape.</summary>
    public long[] Shape => Parameter.shape;
}
