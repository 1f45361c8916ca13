using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Layers;

/// <summary>
/// Shared machinery of <see cref="LSTM"/> and <see cref="GRU"/> (and their <see cref="Bidirectional"/>
/// wrapper): runs TorchSharp's fused RNN over packed sequences, so masked (padded) steps at the end
/// of a row neither change its state nor, in the backward direction, get read before real steps.
/// Masks must mark a prefix of each row (right padding), as ELMo and <c>Embedding(maskZero)</c> give.
/// </summary>
public abstract class RecurrentLayer : Layer
{
    private nn.Module? module;
    private int directions = 1;
    private long? builtInputSize;

    /// <summary>Creates the layer.</summary>
    protected RecurrentLayer(int units, bool returnSequences, string? name) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        Units = units;
        ReturnSequences = returnSequences;
    }

    /// <summary>State size per direction.</summary>
    public int Units { get; }

    /// <summary>Return every step's output [batch, steps, units] (with the input mask) instead of the last real one [batch, units].</summary>
    public bool ReturnSequences { get; }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    internal abstract nn.Module CreateModule(long inputSize, bool bidirectional);

    /// <summary>Creates the TorchSharp module; the owner's <see cref="SequenceSpec"/> has checked the shape.</summary>
    internal void BuildFor(IReadOnlyList<long?> inputShape, bool bidirectional)
    {
        directions = bidirectional ? 2 : 1;
        builtInputSize = inputShape[2]!.Value;
        module = CreateModule(builtInputSize.Value, bidirectional);
    }

    internal nn.Module Module => module ?? throw NotBuilt();

    internal IReadOnlyList<long?> OutputShapeFor(IReadOnlyList<long?> inputShape, int directionCount) =>
        ReturnSequences ? [inputShape[0], inputShape[1], directionCount * Units] : [inputShape[0], directionCount * Units];

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs => [SequenceSpec];

    /// <summary>[batch, steps, features] with known features (fixed once built).</summary>
    internal InputSpec SequenceSpec => new() { Rank = 3, Axes = new Dictionary<int, long?> { [-1] = builtInputSize }, Layout = "[batch, steps, features]" };

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<IReadOnlyList<long?>> inputShapes)
    {
        BuildFor(inputShapes[0], bidirectional: false);
        AddWeights("", Module, trainable: true);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => OutputShapeFor(inputShapes[0], 1);

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training) => Run(inputs[0], Name);

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(IReadOnlyList<LayerValue> inputs, LayerValue output) => ReturnSequences ? inputs[0].Mask : null;

    internal LayerValue Run(LayerValue input, string layerName)
    {
        Tensor x = input.ExpectTensor(layerName);
        using var scope = NewDisposeScope();
        long batch = x.shape[0], steps = x.shape[1];
        Tensor lengths = input.Mask is Tensor mask ? mask.sum(1).to_type(ScalarType.Int64).cpu() : HeldScalarMath.Full(batch, steps, ScalarType.Int64);
        // Packing rejects empty rows; run them for one step and zero their outputs afterwards.
        Tensor empty = lengths.EqualTo(0);
        var packed = nn.utils.rnn.pack_padded_sequence(x, lengths.AtLeast(1), batch_first: true, enforce_sorted: false);
        Tensor hidden;
        nn.utils.rnn.PackedSequence outputPacked;
        switch (Module)
        {
            case TorchSharp.Modules.LSTM lstm:
                (outputPacked, hidden, _) = lstm.call(packed, null);
                break;
            case TorchSharp.Modules.GRU gru:
                (outputPacked, hidden) = gru.call(packed, null);
                break;
            default:
                throw new InvalidOperationException($"Unsupported recurrent module {Module.GetType().Name}.");
        }
        Tensor keep = empty.logical_not().to(x.device);
        Tensor result;
        if (ReturnSequences)
        {
            var (padded, _) = nn.utils.rnn.pad_packed_sequence(outputPacked, batch_first: true, padding_value: 0, total_length: steps);
            result = padded * keep.reshape(-1, 1, 1).to_type(padded.dtype);
        }
        else
        {
            // hidden: [directions, batch, units] (one layer); Keras concatenates forward then backward.
            result = cat(Enumerable.Range(0, directions).Select(d => hidden[d]).ToArray(), 1) * keep.reshape(-1, 1).to_type(x.dtype);
        }
        return LayerValue.FromTensor(result.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) module?.Dispose();
    }
}
