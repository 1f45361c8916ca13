using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>
/// Runs an <see cref="LSTM"/> or <see cref="GRU"/> forwards and backwards and concatenates the two.
/// The backward direction reads each row from its last real step, never from padding.
/// </summary>
public sealed class Bidirectional : Layer
{
    private readonly RecurrentLayer layer;

    /// <param name="layer">The recurrent layer to run in both directions (its settings are used; it is not built itself).</param>
    /// <param name="name">Layer name; default <c>bidirectional</c>.</param>
    public Bidirectional(RecurrentLayer layer, string? name = null) : base(name)
    {
        this.layer = layer ?? throw new ArgumentNullException(nameof(layer));
        if (layer.Built) throw new ArgumentException($"Layer '{layer.Name}' is already built; wrap a fresh LSTM or GRU.", nameof(layer));
    }

    /// <summary>The wrapped layer.</summary>
    public RecurrentLayer Layer => layer;

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs => [layer.SequenceSpec];

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<IReadOnlyList<long?>> inputShapes)
    {
        layer.BuildFor(inputShapes[0], bidirectional: true);
        AddWeights(layer.Name, layer.Module, trainable: true);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => layer.OutputShapeFor(inputShapes[0], 2);

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training) => layer.Run(inputs[0], Name);

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(IReadOnlyList<LayerValue> inputs, LayerValue output) => layer.ReturnSequences ? inputs[0].Mask : null;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) layer.Dispose();
    }
}
