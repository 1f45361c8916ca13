using ElmoKeras.Runtime;
using ElmoKeras.Weights;
using ElmoKeras.Weights.Hub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;
using ElmoKeras.IO;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// A pretrained ELMo bidirectional language model: give it tokenised sentences, get every layer's
/// contextual vectors. Load one from bilm-tf/AllenNLP files with <see cref="Load(string, string, ElmoModelSettings?)"/>.
/// Holds native memory: dispose it when done.
/// </summary>
/// <example>
/// <code>
/// using var elmo = ElmoModel.Load("options.json", "weights.hdf5");
/// using var output = elmo.Embed([["The", "cat", "sat"], ["Hello"]]);
/// float[,,] first = output.GetSentence(0);   // [3 layers, 3 tokens, 1024]
/// </code>
/// </example>
public sealed class ElmoModel : IDisposable
{
    private readonly ElmoBiLm network;
    private readonly ILogger logger;
    private readonly TokenEmbeddingCache? tokenCache;
    private LstmState[]? states;
    private long sentencesRun;
    private bool disposed;

    private ElmoModel(ElmoOptions options, ElmoModelSettings settings)
    {
        TorchRuntime.EnsureLoaded(settings.Device?.type ?? DeviceType.CPU);
        Options = options;
        Settings = settings;
        Device = settings.Device ?? CPU;
        logger = settings.Logger ?? NullLogger.Instance;
        if (settings.ComputeType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"ComputeType must be Float32, BFloat16 or Float16, got {settings.ComputeType}.", nameof(settings));
        if (settings.TokenCacheCapacity < 0)
            throw new ArgumentException($"TokenCacheCapacity must be 0 (off) or positive, got {settings.TokenCacheCapacity}.", nameof(settings));
        network = new ElmoBiLm(options);
        network.eval();
        if (settings.TokenCacheCapacity > 0) tokenCache = new TokenEmbeddingCache(settings.TokenCacheCapacity);
    }

    /// <summary>The architecture.</summary>
    public ElmoOptions Options { get; }

    /// <summary>How the model runs.</summary>
    public ElmoModelSettings Settings { get; }

    /// <summary>The device holding the weights.</summary>
    public Device Device { get; }

    /// <summary>Width of every output layer (2 × projection_dim; 1024 for the original ELMo).</summary>
    public int OutputDim => Options.OutputDim;

    /// <summary>Output layers: the token layer plus one per LSTM layer (3 for published models).</summary>
    public int NumLayers => Options.NumOutputLayers;

    internal ElmoBiLm Network => network;

    /// <summary>Loads a model from an <c>options.json</c> and an HDF5 weight file in the bilm-tf layout.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="WeightFormatException">A weight file is malformed, or the weights do not match the options.</exception>
    /// <exception cref="ElmoOptionsException">The options file (or the options inferred from the weights) is malformed or out of range.</exception>
    public static ElmoModel Load(string optionsFile, string weightFile, ElmoModelSettings? settings = null) =>
        Load(optionsFile, weightFile, settings, expectedSha256: null);

    /// <summary>
    /// Loads a model from an <c>options.json</c> and an HDF5 weight file, first checking that the
    /// weight file's SHA-256 is <paramref name="expectedSha256"/> (bilm-tf files carry no checksum of
    /// their own, so this is what detects a corrupted download or disk).
    /// </summary>
    /// <param name="optionsFile">The bilm-tf/AllenNLP options file.</param>
    /// <param name="weightFile">The HDF5 weights.</param>
    /// <param name="settings">How the model runs; null for the defaults.</param>
    /// <param name="expectedSha256">The weight file's SHA-256 as 64 hex digits, or null to skip the check.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="ArgumentException"><paramref name="expectedSha256"/> is not 64 hex digits.</exception>
    /// <exception cref="WeightFormatException">The hash differs, a file is malformed, a value is not finite, or the weights do not match the options.</exception>
    /// <exception cref="ElmoOptionsException">The options file (or the options inferred from the weights) is malformed or out of range.</exception>
    public static ElmoModel Load(string optionsFile, string weightFile, ElmoModelSettings? settings, string? expectedSha256)
    {
        ElmoOptions options = ElmoOptions.Load(optionsFile);
        using Hdf5WeightSource weights = Hdf5WeightSource.Open(weightFile, expectedSha256);
        return FromWeights(options, weights, settings);
    }

    /// <summary>
    /// Builds a model of <paramref name="options"/> and fills it from <paramref name="weights"/>. Every
    /// name and shape is checked before the model is allocated; a failure part-way disposes the half
    /// filled model, so a model is returned complete or not at all.
    /// </summary>
    /// <exception cref="WeightFormatException">The weights do not match the options (every mismatch is listed, up to 20), or a value is not finite.</exception>
    /// <exception cref="ElmoOptionsException">The options file (or the options inferred from the weights) is malformed or out of range.</exception>
    public static ElmoModel FromWeights(ElmoOptions options, IWeightSource weights, ElmoModelSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weights);
        options.Validate();
        // Shapes first: options that do not fit the weights must fail before they size any allocation.
        ElmoWeightMap.CheckShapes(options, weights);
        var model = new ElmoModel(options, settings ?? new ElmoModelSettings());
        try
        {
            ElmoWeightMap.Load(model.network, weights);
            model.network.to(model.Device).to(settings?.ComputeType ?? ScalarType.Float32);
            model.logger.LogInformation("Loaded ELMo ({Layers} LSTM layers, dim {Dim}, projection {Projection}) from {Path} on {Device}",
                options.Lstm.NumLayers, options.Lstm.Dim, options.Lstm.ProjectionDim, weights.Path, model.Device);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a TF Hub ELMo module (e.g. <c>google/elmo/2</c>) from a module folder, a <c>.tar.gz</c>
    /// of one, or an http(s) handle such as <c>https://tfhub.dev/google/elmo/2</c> (downloaded once
    /// into TF Hub's cache layout). The checkpoint is read in C#; no TensorFlow is needed. Without
    /// <paramref name="options"/> the sizes come from the variables' shapes and the published
    /// google/elmo settings (relu, clips 3, skip connections) are assumed; with them, every shape is
    /// checked against them. The module's trained scalar mix becomes <see cref="PretrainedMix"/>.
    /// </summary>
    public static async Task<ElmoModel> FromHubAsync(string handle, ElmoOptions? options = null, ElmoModelSettings? settings = null,
        string? cacheDirectory = null, HttpClient? httpClient = null, CancellationToken cancellationToken = default)
    {
        string folder = await HubHandleResolver.ResolveAsync(handle, cacheDirectory, httpClient, settings?.Logger, cancellationToken).ConfigureAwait(false);
        return FromHubFolder(folder, options, settings);
    }

    /// <summary>
    /// <see cref="FromHubAsync"/> for local handles: a module folder or a <c>.tar.gz</c> of one.
    /// </summary>
    public static ElmoModel FromHub(string handle, ElmoOptions? options = null, ElmoModelSettings? settings = null, string? cacheDirectory = null)
    {
        if (Uri.TryCreate(handle, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https")
            throw new ArgumentException($"'{handle}' is a URL; use FromHubAsync to download it.", nameof(handle));
        return FromHubAsync(handle, options, settings, cacheDirectory).GetAwaiter().GetResult();
    }

    private static ElmoModel FromHubFolder(string folder, ElmoOptions? options, ElmoModelSettings? settings)
    {
        using HubModuleWeightSource weights = HubModuleWeightSource.Open(folder);
        ElmoOptions resolved = options ?? ElmoOptionsInference.InferOptions(weights);
        ElmoModel model = FromWeights(resolved, weights, settings);
        try
        {
            model.PretrainedMix = ReadPretrainedMix(weights, resolved);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        if (weights.ExtraVariables.Count > 0)
            model.logger.LogInformation("TF Hub module {Folder}: ignored {Count} non-weight variables ({Names})", folder, weights.ExtraVariables.Count, string.Join(", ", weights.ExtraVariables.Take(10)));
        return model;
    }

    /// <summary>The module's trained mix; none when it has no aggregation variables, an error when they are partial or misshapen.</summary>
    private static ScalarMixValues? ReadPretrainedMix(HubModuleWeightSource weights, ElmoOptions options)
    {
        long[]? mixWeights = weights.TryGetShape(HubModuleWeightSource.MixWeights), mixScaling = weights.TryGetShape(HubModuleWeightSource.MixScaling);
        if (mixWeights is null && mixScaling is null) return null;
        if (mixWeights is not [var layers] || layers != options.NumOutputLayers || mixScaling is not [1])
            throw new WeightFormatException(
                $"'{weights.Path}': the trained scalar mix is incomplete or misshapen: '{HubModuleWeightSource.MixWeights}' has shape {(mixWeights is null ? "(missing)" : WeightArray.FormatShape(mixWeights))}, " +
                $"expected [{options.NumOutputLayers}]; '{HubModuleWeightSource.MixScaling}' has shape {(mixScaling is null ? "(missing)" : WeightArray.FormatShape(mixScaling))}, expected a scalar.") { FilePath = weights.Path };
        return new ScalarMixValues(weights.Read(HubModuleWeightSource.MixWeights).Data, weights.Read(HubModuleWeightSource.MixScaling).Data[0]);
    }

    /// <summary>
    /// The scalar mix a TF Hub module was trained with (its <c>aggregation/weights</c> and
    /// <c>aggregation/scaling</c>), or null for models loaded from bilm-tf files, which carry none.
    /// <see cref="ElmoLayer.ElmoEmbeddingLayer"/> starts from it.
    /// </summary>
    public ScalarMixValues? PretrainedMix { get; private set; }

    /// <summary>
    /// A model of <paramref name="options"/> with random weights (Glorot-uniform matrices, zero biases),
    /// reproducible from <paramref name="seed"/>: for benchmarks, tests, and pretraining from scratch.
    /// </summary>
    public static ElmoModel CreateRandom(ElmoOptions options, int seed, ElmoModelSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var model = new ElmoModel(options, settings ?? new ElmoModelSettings());
        using (no_grad())
        {
            var generator = new Generator((ulong)seed);
            foreach (var (name, parameter) in model.network.named_parameters())
            {
                if (parameter.dim() >= 2) GlorotUniform(parameter, generator);
                else parameter.zero_();
            }
            // The padding character's row must stay zero, as in the real weight files.
            model.network.TokenEncoder.CharEmbedding[0].zero_();
        }
        model.network.to(model.Device).to(model.Settings.ComputeType);
        return model;
    }

    private static void GlorotUniform(Tensor parameter, Generator generator)
    {
        // Fans as PyTorch computes them: dims 0 and 1 times the receptive field (conv kernels).
        long receptive = parameter.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        double fanIn = parameter.shape[1] * receptive, fanOut = parameter.shape[0] * receptive;
        double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        using Tensor uniform = rand(parameter.shape, generator: generator);
        parameter.copy_(uniform.SpreadToSymmetric(limit));
    }

    /// <summary>
    /// Embeds tokenised sentences. Every sentence is one batch row; no gradient is recorded.
    /// </summary>
    /// <param name="sentences">Sentences as token lists. An empty sentence gives zero tokens.</param>
    /// <returns>All layers without boundary tokens; dispose it.</returns>
    /// <exception cref="ArithmeticException">A vector came out NaN or infinite (weights with extreme values); nothing is returned.</exception>
    public ElmoEmbeddings Embed(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(sentences);
        using var noGrad = no_grad();
        ElmoBatch batch = CreateBatch(sentences);
        var (layers, mask) = Forward(batch);
        bool finite;
        using (NewDisposeScope()) finite = layers.isfinite().all().item<bool>();
        if (!finite)
        {
            layers.Dispose();
            mask.Dispose();
            throw new ArithmeticException("ELMo produced a non-finite vector (NaN or infinity); the model's weights hold extreme values. Nothing was returned.");
        }
        return new ElmoEmbeddings(layers, mask, batch.Lengths);
    }

    /// <summary>
    /// Writes the bi-LM's weights as an HDF5 file in the bilm-tf layout, loadable by
    /// <see cref="Load(string, string, ElmoModelSettings?)"/>, AllenNLP and bilm-tf; with
    /// <paramref name="optionsFile"/> the matching <c>options.json</c> too.
    /// </summary>
    public void Save(string weightFile, string? optionsFile = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Hdf5WeightWriter.Write(weightFile, ElmoWeightMap.Export(network));
        if (optionsFile is not null) AtomicFile.Write(optionsFile, temp => File.WriteAllText(temp, Options.ToJson()));
    }

    /// <summary>How the token cache (<see cref="ElmoModelSettings.TokenCacheCapacity"/>) has served so far.</summary>
    public TokenCacheStatistics TokenCache =>
        tokenCache?.Statistics ?? new TokenCacheStatistics(0, 0, 0, 0, 0);

    /// <summary>
    /// Forgets the cached token vectors. ElmoKeras calls it wherever it changes the bi-LM's weights
    /// (loading weights, training); call it after changing them any other way.
    /// </summary>
    public void ClearTokenCache() => tokenCache?.Clear();

    /// <summary>
    /// How many sentences (batch rows) the bi-LM has run over since this model was made, by any
    /// caller: what the frozen-feature cache of <c>ElmoEmbeddingLayer</c> saves shows here.
    /// </summary>
    internal long SentencesRun => Interlocked.Read(ref sentencesRun);

    /// <summary>Clears the carried LSTM states of a stateful model; does nothing otherwise.</summary>
    public void ResetStates()
    {
        if (states is null) return;
        foreach (LstmState state in states) state.Dispose();
        states = null;
    }

    /// <summary>The carried states (direction * layers + layer) of a stateful model, or null when none are carried.</summary>
    internal IReadOnlyList<LstmState>? CarriedStates => states;

    /// <summary>Replaces the carried states with copies of <paramref name="carried"/> (same order as <see cref="CarriedStates"/>).</summary>
    internal void RestoreStates(IReadOnlyList<(Tensor Cell, Tensor Hidden)> carried)
    {
        if (carried.Count != 2 * Options.Lstm.NumLayers) throw new ArgumentException($"Expected {2 * Options.Lstm.NumLayers} LSTM states, got {carried.Count}.", nameof(carried));
        ResetStates();
        states = carried.Select(s => new LstmState(
            s.Cell.to(ScalarType.Float32, Device).clone().DetachFromDisposeScope(),
            s.Hidden.to(ScalarType.Float32, Device).clone().DetachFromDisposeScope())).ToArray();
    }

    /// <summary>Prepares sentences for <see cref="Forward"/> with this model's settings.</summary>
    internal ElmoBatch CreateBatch(IReadOnlyList<IReadOnlyList<string>> sentences) =>
        ElmoBatch.Create(sentences, Options.CharCnn.MaxCharactersPerToken, boundaries: Settings.SentenceBoundaries);

    /// <summary>
    /// Runs the bi-LM over a prepared batch, recording gradients when autograd is on.
    /// Returns layers [B, L, T, 2P] without boundaries (padded positions zero) and the mask [B, T].
    /// </summary>
    internal (Tensor Layers, Tensor Mask) Forward(ElmoBatch batch)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Interlocked.Add(ref sentencesRun, batch.BatchSize);
        using var scope = NewDisposeScope();
        ElmoBatchTensors tensors = batch.ToTensors(Device);
        IReadOnlyList<LstmState>? initial = Settings.Stateful
            ? TakeStates(batch.BatchSize).Select(s => new LstmState(s.Cell.index_select(0, tensors.Order), s.Hidden.index_select(0, tensors.Order))).ToArray()
            : null;
        var (layers, finals) = network.Forward(tensors, initial, CachedTokenVectors(batch, tensors));
        if (Settings.Stateful)
            KeepStates(finals.Select(s => new LstmState(s.Cell.index_select(0, tensors.Restore), s.Hidden.index_select(0, tensors.Restore))).ToArray());

        // [L, T+2, B, 2P] time-major in sorted rows -> [B, L, T, 2P] in the caller's rows. BOS sits at
        // step 0 of every row, so tokens are steps 1..T; the EOS of shorter rows falls inside that
        // window and the token mask zeroes it. Without boundaries tokens are steps 0..T-1.
        Tensor stacked = stack(layers, 0).narrow(1, batch.FirstToken, batch.MaxLength).index_select(2, tensors.Restore).permute(2, 0, 1, 3);
        Tensor tokenWeight = tensors.TokenMask.unsqueeze(1).unsqueeze(3).to_type(stacked.dtype); // [B, 1, T, 1]
        Tensor result = (stacked * tokenWeight).to_type(ScalarType.Float32);
        return (result.MoveToOuterDisposeScope(), tensors.TokenMask.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The batch's distinct token vectors from the token cache, or null to let the network run the
    /// CNN itself: always while gradients are recorded, since the weights may then change (the
    /// cache is cleared for the same reason).
    /// </summary>
    private Tensor? CachedTokenVectors(ElmoBatch batch, ElmoBatchTensors tensors)
    {
        if (tokenCache is null) return null;
        if (is_grad_enabled())
        {
            tokenCache.Clear();
            return null;
        }
        return tokenCache.Lookup(batch.UniqueTokens, rows =>
        {
            using Tensor index = tensor(rows, device: Device);
            return network.TokenEncoder.call(tensors.CharacterIds.index_select(0, index));
        });
    }

    private LstmState[] TakeStates(int rows)
    {
        int count = 2 * Options.Lstm.NumLayers;
        if (states is null || states[0].Cell.shape[0] < rows)
        {
            // Grow with zero rows; rows already carried keep their state (AllenNLP's behaviour).
            var grown = new LstmState[count];
            for (int i = 0; i < count; i++)
            {
                // States are float32 whatever ComputeType is: only the matrix products round.
                Tensor c = zeros(rows, Options.Lstm.Dim, device: Device);
                Tensor m = zeros(rows, Options.Lstm.ProjectionDim, device: Device);
                if (states is not null)
                {
                    long old = states[i].Cell.shape[0];
                    c.narrow(0, 0, old).copy_(states[i].Cell);
                    m.narrow(0, 0, old).copy_(states[i].Hidden);
                    states[i].Dispose();
                }
                grown[i] = new LstmState(c.DetachFromDisposeScope(), m.DetachFromDisposeScope());
            }
            states = grown;
        }
        return states.Select(s => new LstmState(s.Cell.narrow(0, 0, rows), s.Hidden.narrow(0, 0, rows))).ToArray();
    }

    private void KeepStates(LstmState[] finals)
    {
        // Rows beyond this batch keep their state, as bilm-tf's state variables do.
        using var noGrad = no_grad();
        for (int i = 0; i < finals.Length; i++)
        {
            long rows = finals[i].Cell.shape[0];
            states![i].Cell.narrow(0, 0, rows).copy_(finals[i].Cell);
            states[i].Hidden.narrow(0, 0, rows).copy_(finals[i].Hidden);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        ResetStates();
        tokenCache?.Dispose();
        network.Dispose();
    }
}
