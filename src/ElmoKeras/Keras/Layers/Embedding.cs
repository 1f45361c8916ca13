using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Layers;

/// <summary>Looks up a learned vector per integer id: [batch, steps] → [batch, steps, outputDim].</summary>
public sealed class Embedding : Layer
{
    private Parameter? table;

    /// <param name="inputDim">Vocabulary size (ids 0 .. inputDim−1).</param>
    /// <param name="outputDim">Vector size.</param>
    /// <param name="maskZero">Treat id 0 as padding and mask it, as Keras's <c>mask_zero</c>.</param>
    /// <param name="name">Layer name.</param>
    public Embedding(int inputDim, int outputDim, bool maskZero = false, string? name = null) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputDim);
        InputDim = inputDim;
        OutputDim = outputDim;
        MaskZero = maskZero;
    }

    /// <summary>Vocabulary size.</summary>
    public int InputDim { get; }
    /// <summary>Vector size.</summary>
    public int OutputDim { get; }
    /// <summary>Whether id 0 is masked padding.</summary>
    public bool MaskZero { get; }

    /// <summary>[inputDim, outputDim].</summary>
    public Parameter Embeddings => table ?? throw NotBuilt();

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs => [new InputSpec { MinRank = 1, Layout = "[batch, steps] of integer ids" }];

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<IReadOnlyList<long?>> inputShapes) =>
        table = AddWeight("embeddings", [InputDim, OutputDim], Initializer.RandomUniform005);

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => [.. inputShapes[0], OutputDim];

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor ids = inputs[0].ExpectTensor(Name).to_type(ScalarType.Int64);
        using var scope = NewDisposeScope();
        if (ids.numel() > 0)
        {
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            if (min < 0 || max >= InputDim)
                throw new ArgumentException($"Layer '{Name}' (Embedding) got id {(min < 0 ? min : max)}; ids must be in [0, {InputDim - 1}].");
        }
        Tensor vectors = Embeddings.index_select(0, ids.reshape(-1)).reshape([.. ids.shape, OutputDim]);
        Tensor? mask = MaskZero ? ids.NotEqualTo(0) : null;
        return LayerValue.FromTensor(vectors.MoveToOuterDisposeScope(), mask?.MoveToOuterDisposeScope());
    }
}
