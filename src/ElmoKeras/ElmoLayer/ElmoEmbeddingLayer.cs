using ElmoKeras.Elmo;
using ElmoKeras;
using TorchSharp;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.ElmoLayer;

/// <summary>
/// A Keras layer that embeds text with a pretrained ELMo bi-LM, as the TF Hub module does in the
/// "ELMo embeddings in Keras" recipe:
/// <code>
/// var input = Keras.Input(shape: [1], dtype: DType.String);
/// var embedding = new ElmoEmbeddingLayer(elmo).Apply(input);   // [batch, 1024]
/// </code>
/// Strings are split on spaces (TF Hub's <c>default</c> signature); token rows padded with
/// <c>--PAD--</c> or <c>""</c> use the <c>tokens</c> signature. Sequence outputs carry a mask, so
/// masked layers after it (LSTM, GRU, pooling) ignore padding. While the bi-LM is frozen, <c>Fit</c>
/// runs it once per example for all epochs and trains the scalar mix and what follows on the cached
/// layer means (pooled output) or token vectors (sequence outputs): the same math.
/// </summary>
public sealed class ElmoEmbeddingLayer : Layer, IFeatureCachingLayer
{
    private readonly ElmoModel elmo;
    private readonly ElmoLayerOptions options;
    private ElmoHead? head;

    /// <param name="elmo">The bi-LM (see <see cref="ElmoModel.Load(string, string, ElmoModelSettings?)"/>).</param>
    /// <param name="output">Which output to give; default the pooled <c>default</c>.</param>
    /// <param name="trainable">What training may change; default the 4 scalar-mix numbers (TF Hub's <c>trainable=True</c>).</param>
    /// <param name="maxTokens">Keep at most this many tokens per example (the recipe uses 150 words).</param>
    /// <param name="options">Less common settings.</param>
    /// <param name="name">Layer name; default <c>elmo_embedding_layer</c>.</param>
    public ElmoEmbeddingLayer(ElmoModel elmo, ElmoOutput output = ElmoOutput.Default, ElmoTrainable trainable = ElmoTrainable.ScalarMix,
        int? maxTokens = null, ElmoLayerOptions? options = null, string? name = null) : base(name)
    {
        this.elmo = elmo ?? throw new ArgumentNullException(nameof(elmo));
        if (maxTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "maxTokens must be positive.");
        this.options = options ?? new ElmoLayerOptions();
        if (!(this.options.BiLmLearningRateScale >= 0) || double.IsInfinity(this.options.BiLmLearningRateScale))
            throw new ArgumentOutOfRangeException(nameof(options), this.options.BiLmLearningRateScale, "ElmoLayerOptions.BiLmLearningRateScale must be a finite number, 0 or more.");
        if (this.options.FeatureCacheMemoryLimit < 0)
            throw new ArgumentOutOfRangeException(nameof(options), this.options.FeatureCacheMemoryLimit, "ElmoLayerOptions.FeatureCacheMemoryLimit must be 0 or more bytes.");
        if (this.options.InitialMixWeights is { } w && w.Count != elmo.NumLayers)
            throw new ArgumentException($"InitialMixWeights has {w.Count} values; this ELMo has {elmo.NumLayers} layers.", nameof(options));
        if ((output is ElmoOutput.LstmOutputs2 && elmo.Options.Lstm.NumLayers < 2) || (output is ElmoOutput.LstmOutputs1 && elmo.Options.Lstm.NumLayers < 1))
            throw new ArgumentException($"Output {output} needs more LSTM layers than this ELMo's {elmo.Options.Lstm.NumLayers}.", nameof(output));
        Output = output;
        Mode = trainable;
        MaxTokens = maxTokens;
    }

    /// <summary>The output given.</summary>
    public ElmoOutput Output { get; }

    /// <summary>What training may change.</summary>
    public ElmoTrainable Mode { get; }

    /// <summary>Tokens kept per example, or null for all.</summary>
    public int? MaxTokens { get; }

    /// <summary>The wrapped bi-LM.</summary>
    public ElmoModel Elmo => elmo;

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override bool AcceptsText => true;

    private ElmoHead Head => head ?? throw NotBuilt();

    private bool BiLmTrains => Mode == ElmoTrainable.All && Trainable;

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs =>
        [new InputSpec { DType = DType.String, MinRank = 1, MaxRank = 2, Layout = "strings [batch] or [batch, 1]: Keras.Input(shape: [1], dtype: DType.String); or tokens [batch, steps]: shape: [null]" }];

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<IReadOnlyList<long?>> inputShapes)
    {
        head = new ElmoHead(elmo.Options, options.LayerNorm, options.DefaultIncludesGamma);
        using (no_grad())
        {
            // Explicit options win; else a TF Hub module's trained mix; else an even mix with γ = 1.
            if ((options.InitialMixWeights ?? elmo.PretrainedMix?.Weights) is { } w) head.Mix.Weights.copy_(tensor(w.ToArray()));
            head.Mix.Gamma.FillWith(options.InitialGamma ?? elmo.PretrainedMix?.Gamma ?? 1f);
        }
        // TF Hub's names for the 4 scalar-mix numbers.
        bool mixTrains = Mode != ElmoTrainable.None;
        // The head owns its mix and the ElmoModel its bi-LM; Dispose frees both, so none is owned here.
        AddWeight("aggregation/weights", head.Mix.Weights, mixTrains, owned: false);
        AddWeight("aggregation/scaling", head.Mix.Gamma, mixTrains, owned: false);
        // With the bi-LM frozen, TF Hub does not expose its variables as layer weights; fine-tuning does.
        if (Mode == ElmoTrainable.All) AddWeights("bilm", elmo.Network, trainable: true, options.BiLmLearningRateScale);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes)
    {
        long? steps = IsTokenSignature(inputShapes[0]) ? inputShapes[0][1] : null;
        return Output switch
        {
            ElmoOutput.Default => [inputShapes[0][0], elmo.OutputDim],
            ElmoOutput.WordEmb => [inputShapes[0][0], steps, elmo.Options.Lstm.ProjectionDim],
            _ => [inputShapes[0][0], steps, elmo.OutputDim],
        };
    }

    private static bool IsTokenSignature(IReadOnlyList<long?> shape) => shape.Count == 2 && shape[1] != 1;

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        LayerValue input = inputs[0];
        string[][] tokens = Tokenise(input);
        int width = input.Tokens is { } rows ? rows.Select(r => r.Length).DefaultIfEmpty(0).Max() : tokens.Select(t => t.Length).DefaultIfEmpty(0).Max();
        if (MaxTokens is int cap && input.Tokens is not null) width = Math.Min(width, cap);
        using var scope = NewDisposeScope();
        Tensor layers, mask;
        using (BiLmTrains && training ? null : no_grad())
        {
            (layers, mask) = elmo.Forward(elmo.CreateBatch(tokens));
        }
        layers = layers.to(CPU);
        mask = mask.to(CPU);
        Tensor result = Head.Compute(Output, layers, mask);
        if (Output == ElmoOutput.Default) return LayerValue.FromTensor(result.MoveToOuterDisposeScope());
        // Token rows keep their padded width, so the mask lines up with the caller's other inputs.
        if (result.shape[1] < width)
        {
            long missing = width - result.shape[1];
            result = nn.functional.pad(result, [0, 0, 0, missing]);
            mask = nn.functional.pad(mask.to_type(ScalarType.Int8), [0, missing]).to_type(ScalarType.Bool);
        }
        return LayerValue.FromTensor(result.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    private string[][] Tokenise(LayerValue input) =>
        input.Strings is { } strings ? ElmoInputs.FromSentences(strings, MaxTokens)
        : input.Tokens is { } rows ? ElmoInputs.FromTokens(rows, MaxTokens)
        : throw new ArgumentException($"Layer '{Name}' (ElmoEmbeddingLayer) expects text (string[] or string[][]), but received a numeric tensor.");

    bool IFeatureCachingLayer.CanCacheFeatures => options.CacheFeatures && !BiLmTrains && (Output != ElmoOutput.Default || Head.DefaultIsLinearInLayerMeans);

    ICachedFeatures IFeatureCachingLayer.ComputeFeatures(LayerValue input, int batchSize, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        string[][] tokens = Tokenise(input);
        progress ??= options.CacheProgress;
        if (Output != ElmoOutput.Default) return TokenFeaturesCache.Compute(elmo, Output, tokens, options, progress, cancellationToken);
        using var scope = NewDisposeScope();
        Tensor means = LayerMeansCache.Compute(elmo, tokens, options.CacheBatchSize, progress, cancellationToken).to(CPU);
        return new TensorFeatures(means.DetachFromDisposeScope());
    }

    LayerValue IFeatureCachingLayer.CallOnFeatures(LayerValue features, bool training) => Output == ElmoOutput.Default
        ? LayerValue.FromTensor(Head.FromLayerMeans(features.ExpectTensor(Name)))
        : LayerValue.FromTensor(TokenFeaturesCache.Output(Head, Output, features.ExpectTensor(Name), features.Mask!, elmo.NumLayers), features.Mask);

    /// <inheritdoc/>
    protected internal override void OnWeightsChanged() => elmo.ClearTokenCache();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            head?.Dispose();
            if (options.OwnsModel) elmo.Dispose();
        }
        base.Dispose(disposing);
    }
}
