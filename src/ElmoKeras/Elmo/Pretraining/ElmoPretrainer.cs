using System.Diagnostics;
using System.Text.Json;
using ElmoKeras.Weights;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Elmo.Pretraining;

/// <summary>
/// Trains an ELMo bi-LM from scratch on raw text, as bilm-tf does: sentences wrapped in
/// <c>&lt;S&gt; … &lt;/S&gt;</c> are laid end to end in <see cref="PretrainOptions.BatchSize"/> streams,
/// cut into windows of <see cref="PretrainOptions.UnrollSteps"/> tokens with LSTM states carried from
/// window to window; the forward LSTM's top layer predicts each next token and the backward one each
/// previous token through one shared softmax over <see cref="Vocabulary"/> (sampled when the
/// vocabulary is large); dropout; Adagrad with global gradient clipping. Checkpoints resume exactly
/// where training stopped. The result saves in the bilm-tf layout that
/// <see cref="ElmoModel.Load(string, string, ElmoModelSettings?)"/> reads.
/// </summary>
public sealed class ElmoPretrainer : IDisposable
{
    /// <summary>The file that marks a complete checkpoint folder (written last).</summary>
    public const string CheckpointInfoFile = "checkpoint.json";
    private const string CheckpointWeightsFile = "checkpoint.hdf5";
    private const long IgnoreIndex = -100;
    // bilm-tf's Adagrad starts every accumulator at 1, which also keeps the first steps small.
    private const double InitialAccumulator = 1.0;
    private readonly PretrainOptions settings;
    private readonly ILogger logger;
    private readonly Linear softmax;
    private readonly List<(string Name, Parameter Parameter)> parameters;
    private readonly List<Tensor> accumulators;
    private readonly Tensor? samplingLogProbabilities;
    private int step;
    private long tokensSeen;

    /// <summary>Creates an untrained bi-LM of <paramref name="options"/> with an output vocabulary.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public ElmoPretrainer(ElmoOptions options, Vocabulary vocabulary, PretrainOptions? settings = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        this.settings = settings ?? new PretrainOptions();
        this.settings.Validate();
        this.logger = logger ?? NullLogger.Instance;
        // Windows carry their states and already hold <S>/</S> where sentences start and end.
        Model = ElmoModel.CreateRandom(options, this.settings.Seed, new ElmoModelSettings { Stateful = true, SentenceBoundaries = false, Logger = logger });
        random.manual_seed(this.settings.Seed);
        softmax = nn.Linear(options.Lstm.ProjectionDim, vocabulary.Count);
        parameters = [.. Model.Network.named_parameters().Select(p => ("bilm." + p.name, p.parameter)), .. softmax.named_parameters().Select(p => ("softmax." + p.name, p.parameter))];
        accumulators = parameters.Select(p => full_like(p.Parameter, InitialAccumulator).DetachFromDisposeScope()).ToList();
        if (UsesSampledSoftmax)
        {
            // Log-uniform (Zipf) proposal over ids ordered by falling frequency, as TensorFlow's sampler.
            using var scope = NewDisposeScope();
            Tensor k = arange(vocabulary.Count, dtype: ScalarType.Float64);
            samplingLogProbabilities = ((k + 2).log() - (k + 1).log()).div(Math.Log(vocabulary.Count + 1)).log().to(ScalarType.Float32).DetachFromDisposeScope();
        }
    }

    /// <summary>The bi-LM being trained (stateful, without added sentence boundaries).</summary>
    public ElmoModel Model { get; }

    /// <summary>The output vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The settings training uses.</summary>
    public PretrainOptions Settings => settings;

    /// <summary>Steps done so far (including those before a resumed checkpoint).</summary>
    public int Step => step;

    /// <summary>Tokens trained on so far, per direction (including those before a resumed checkpoint).</summary>
    public long Tokens => tokensSeen;

    /// <summary>Whether the loss uses the sampled softmax (the vocabulary is larger than <see cref="PretrainOptions.SoftmaxSamples"/>).</summary>
    public bool UsesSampledSoftmax => Vocabulary.Count > settings.SoftmaxSamples;

    /// <summary>
    /// Trains over <paramref name="sentences"/> (cycling through them as often as needed) until a limit
    /// of <paramref name="schedule"/> is reached, writing checkpoints as it asks. Cancelling stops after
    /// the current step and still writes the checkpoint. Returns the last step's figures.
    /// </summary>
    /// <exception cref="ArgumentException">The text is too short for the streams, or the schedule has no limit.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (after the checkpoint was written).</exception>
    public PretrainStep Train(IReadOnlyList<IReadOnlyList<string>> sentences, PretrainSchedule schedule, IProgress<PretrainStep>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        schedule.Validate();
        string[][] streams = Streams(sentences, shuffleSeed: settings.Seed, settings.BatchSize);
        int windows = WindowCount(streams, "training");
        var clock = Stopwatch.StartNew();
        TimeSpan lastCheckpoint = TimeSpan.Zero;
        long tokensAtStart = tokensSeen;
        PretrainStep last = new(step, tokensSeen, double.NaN, double.NaN, 0);
        Model.Network.train();
        Model.Network.InputDropout = settings.Dropout;
        try
        {
            while (!(step >= schedule.MaxSteps || tokensSeen >= schedule.MaxTokens || clock.Elapsed >= schedule.MaxTime))
            {
                cancellationToken.ThrowIfCancellationRequested();
                int window = step % windows;
                if (window == 0) Model.ResetStates(); // a new pass over the streams starts from zero states
                double loss = TrainStep(streams, window);
                step++;
                tokensSeen += (long)settings.BatchSize * settings.UnrollSteps;
                last = new PretrainStep(step, tokensSeen, loss, Math.Exp(loss), (tokensSeen - tokensAtStart) / clock.Elapsed.TotalSeconds);
                progress?.Report(last);
                if (schedule.CheckpointDirectory is string directory && clock.Elapsed - lastCheckpoint >= schedule.CheckpointEvery)
                {
                    SaveCheckpoint(directory);
                    lastCheckpoint = clock.Elapsed;
                }
            }
        }
        catch (OperationCanceledException)
        {
            if (schedule.CheckpointDirectory is string directory) SaveCheckpoint(directory);
            throw;
        }
        finally
        {
            Model.Network.InputDropout = 0;
            Model.Network.eval();
        }
        if (schedule.CheckpointDirectory is string final) SaveCheckpoint(final);
        logger.LogInformation("Pretraining step {Step}: loss {Loss:F3}, perplexity {Perplexity:F1}, {TokensPerSecond:F0} tokens/s", last.Step, last.Loss, last.Perplexity, last.TokensPerSecond);
        return last;
    }

    /// <summary>Runs <paramref name="steps"/> more steps, or fewer when <paramref name="timeBudget"/> runs out first.</summary>
    public PretrainStep Train(IReadOnlyList<IReadOnlyList<string>> sentences, int steps, IProgress<PretrainStep>? progress = null,
        TimeSpan? timeBudget = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        return Train(sentences, new PretrainSchedule { MaxSteps = step + steps, MaxTime = timeBudget }, progress, cancellationToken);
    }

    /// <summary>
    /// Perplexity of both directions on <paramref name="sentences"/> with the exact softmax, streamed
    /// like the training data from zero states. Resets the carried states before and after.
    /// </summary>
    public double Perplexity(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        // Held-out text is often short: use fewer streams rather than refuse it.
        long tokens = sentences.Sum(x => (long)x.Count + 2);
        int rows = (int)Math.Clamp(tokens / (2L * settings.UnrollSteps), 1, settings.BatchSize);
        string[][] streams = Streams(sentences, shuffleSeed: null, rows);
        int windows = WindowCount(streams, "held-out");
        var saved = SnapshotStates();
        Model.ResetStates();
        Model.Network.eval();
        double total = 0;
        using (no_grad())
        {
            for (int w = 0; w < windows; w++)
            {
                using var scope = NewDisposeScope();
                total += WindowLoss(streams, w, sampled: null).item<float>();
            }
        }
        // Put the training streams' states back, so that measuring does not change training.
        if (saved is null) Model.ResetStates();
        else Model.RestoreStates(saved);
        DisposeStates(saved);
        return Math.Exp(total / windows);
    }

    /// <summary>
    /// The perplexity on <paramref name="heldOut"/> of the unigram model of <paramref name="train"/>
    /// (add-one smoothed over the vocabulary, the same targets as <see cref="Perplexity"/>): the
    /// baseline a language model must beat.
    /// </summary>
    public static double UnigramPerplexity(IReadOnlyList<IReadOnlyList<string>> train, IReadOnlyList<IReadOnlyList<string>> heldOut, Vocabulary vocabulary)
    {
        var counts = new double[vocabulary.Count];
        foreach (var sentence in train)
            foreach (string token in Wrap(sentence)) counts[vocabulary.IdOf(token)]++;
        double total = counts.Sum() + counts.Length;
        double logSum = 0;
        long n = 0;
        foreach (var sentence in heldOut)
            foreach (string token in Wrap(sentence))
            {
                logSum += Math.Log((counts[vocabulary.IdOf(token)] + 1) / total);
                n++;
            }
        return Math.Exp(-logSum / Math.Max(n, 1));
    }

    /// <summary>Writes <c>options.json</c>, <c>weights.hdf5</c> (bilm-tf layout) and <c>vocab.txt</c> into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        Model.Save(Path.Combine(directory, "weights.hdf5"), Path.Combine(directory, "options.json"));
        Vocabulary.Save(Path.Combine(directory, "vocab.txt"));
    }

    /// <summary>
    /// Writes everything needed to continue training exactly (weights, softmax, Adagrad accumulators,
    /// carried LSTM states, step count, settings, options, vocabulary) into <paramref name="directory"/>.
    /// The folder is replaced only once the new checkpoint is complete.
    /// </summary>
    public void SaveCheckpoint(string directory)
    {
        string target = Path.GetFullPath(directory);
        string partial = target + ".partial", previous = target + ".old";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        File.WriteAllText(Path.Combine(partial, "options.json"), Model.Options.ToJson());
        Vocabulary.Save(Path.Combine(partial, "vocab.txt"));
        Hdf5WeightWriter.Write(Path.Combine(partial, CheckpointWeightsFile), CheckpointArrays());
        var info = new CheckpointInfo(step, tokensSeen, settings);
        File.WriteAllText(Path.Combine(partial, CheckpointInfoFile), JsonSerializer.Serialize(info, JsonOptions));
        // Swap folders so that some complete checkpoint exists at every moment.
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        if (Directory.Exists(target)) Directory.Move(target, previous);
        Directory.Move(partial, target);
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        logger.LogInformation("Pretraining checkpoint at step {Step} written to {Directory}", step, target);
    }

    /// <summary>
    /// Continues from a checkpoint written by <see cref="SaveCheckpoint"/>: the same weights, optimizer
    /// state, carried states and step, so training goes on as if it had not stopped (with dropout,
    /// the random draws differ).
    /// </summary>
    /// <exception cref="FileNotFoundException">No complete checkpoint is in <paramref name="directory"/>.</exception>
    /// <exception cref="WeightFormatException">The checkpoint's files do not match each other.</exception>
    public static ElmoPretrainer Resume(string directory, ILogger? logger = null)
    {
        string folder = Path.GetFullPath(directory);
        // A crash between the folder swaps of SaveCheckpoint leaves the complete one as .old.
        if (!File.Exists(Path.Combine(folder, CheckpointInfoFile)) && File.Exists(Path.Combine(folder + ".old", CheckpointInfoFile))) folder += ".old";
        string infoPath = Path.Combine(folder, CheckpointInfoFile);
        if (!File.Exists(infoPath))
            throw new FileNotFoundException($"'{directory}' holds no complete pretraining checkpoint ({CheckpointInfoFile} is missing).", infoPath);
        CheckpointInfo info;
        try
        {
            info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(infoPath), JsonOptions)
                ?? throw new WeightFormatException($"'{infoPath}' is empty.") { FilePath = infoPath };
        }
        catch (JsonException e)
        {
            throw new WeightFormatException($"'{infoPath}' is not a valid checkpoint description: {e.Message}", e) { FilePath = infoPath };
        }
        ElmoOptions options = ElmoOptions.Load(Path.Combine(folder, "options.json"));
        Vocabulary vocabulary = Vocabulary.Load(Path.Combine(folder, "vocab.txt"));
        var trainer = new ElmoPretrainer(options, vocabulary, info.Settings, logger);
        try
        {
            using var source = Hdf5WeightSource.Open(Path.Combine(folder, CheckpointWeightsFile));
            trainer.LoadCheckpointArrays(source);
            trainer.step = info.Step;
            trainer.tokensSeen = info.Tokens;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    private IEnumerable<WeightArray> CheckpointArrays()
    {
        static WeightArray Array(string name, Tensor value)
        {
            using var scope = NewDisposeScope();
            return new WeightArray(name, value.shape, value.detach().to_type(ScalarType.Float32).contiguous().cpu().data<float>().ToArray());
        }
        for (int i = 0; i < parameters.Count; i++)
        {
            yield return Array("parameters/" + parameters[i].Name, parameters[i].Parameter);
            yield return Array("adagrad/" + parameters[i].Name, accumulators[i]);
        }
        if (Model.CarriedStates is { } states)
            for (int i = 0; i < states.Count; i++)
            {
                yield return Array($"states/{i}/cell", states[i].Cell);
                yield return Array($"states/{i}/hidden", states[i].Hidden);
            }
    }

    private void LoadCheckpointArrays(Hdf5WeightSource source)
    {
        Tensor Read(string name, long[] shape)
        {
            long[] stored = source.TryGetShape(name) ?? throw new WeightFormatException($"'{source.Path}' has no '{name}'; it does not belong to these options.") { FilePath = source.Path };
            if (!stored.SequenceEqual(shape))
                throw new WeightFormatException($"'{source.Path}': '{name}' has shape {WeightArray.FormatShape(stored)}, expected {WeightArray.FormatShape(shape)}.") { FilePath = source.Path };
            WeightArray array = source.Read(name);
            return tensor(array.Data, array.Shape);
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < parameters.Count; i++)
        {
            var (name, parameter) = parameters[i];
            parameter.copy_(Read("parameters/" + name, parameter.shape));
            accumulators[i].copy_(Read("adagrad/" + name, parameter.shape));
        }
        Model.ClearTokenCache();
        if (source.TryGetShape("states/0/cell") is { } cellShape)
        {
            long rows = cellShape[0];
            int count = 2 * Model.Options.Lstm.NumLayers;
            var states = Enumerable.Range(0, count).Select(i => (Read($"states/{i}/cell", [rows, Model.Options.Lstm.Dim]), Read($"states/{i}/hidden", [rows, Model.Options.Lstm.ProjectionDim]))).ToArray();
            Model.RestoreStates(states);
        }
    }

    private double TrainStep(string[][] streams, int window)
    {
        using var scope = NewDisposeScope();
        Tensor? sampled = null;
        if (samplingLogProbabilities is not null)
        {
            // One draw per step shared by the batch; seeded by the step so that a resumed run draws the same.
            var generator = new Generator((ulong)(settings.Seed * 1_000_003L + step));
            sampled = multinomial(samplingLogProbabilities.exp(), settings.SoftmaxSamples, replacement: true, generator: generator);
        }
        Tensor loss = WindowLoss(streams, window, sampled);
        foreach (var (_, parameter) in parameters) parameter.grad?.zero_();
        loss.backward();
        nn.utils.clip_grad_norm_(parameters.Select(p => p.Parameter), settings.ClipNorm);
        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                Tensor? gradient = parameters[i].Parameter.grad;
                if (gradient is null) continue;
                accumulators[i].addcmul_(gradient, gradient, 1);
                parameters[i].Parameter.addcdiv_(gradient, accumulators[i].sqrt(), -settings.LearningRate);
            }
        }
        return loss.item<float>();
    }

    private Tensor WindowLoss(string[][] streams, int window, Tensor? sampled)
    {
        int rows = streams.Length, steps = settings.UnrollSteps, start = window * steps;
        var tokens = new string[rows][];
        var next = new long[rows * steps];
        var previous = new long[rows * steps];
        for (int r = 0; r < rows; r++)
        {
            tokens[r] = streams[r][start..(start + steps)];
            for (int t = 0; t < steps; t++)
            {
                next[r * steps + t] = Vocabulary.IdOf(streams[r][start + t + 1]);
                previous[r * steps + t] = start + t > 0 ? Vocabulary.IdOf(streams[r][start + t - 1]) : IgnoreIndex;
            }
        }
        var (layers, _) = Model.Forward(Model.CreateBatch(tokens));                // [B, L, T, 2P]
        long p = Model.Options.Lstm.ProjectionDim;
        Tensor top = layers.select(1, layers.shape[1] - 1);
        if (Model.Network.training && settings.Dropout > 0) top = nn.functional.dropout(top, settings.Dropout, training: true);
        Device device = Model.Device;
        Tensor forwardLoss = DirectionLoss(top.narrow(2, 0, p).reshape(-1, p), tensor(next, device: device), sampled);
        Tensor backwardLoss = DirectionLoss(top.narrow(2, p, p).reshape(-1, p), tensor(previous, device: device), sampled);
        return (forwardLoss + backwardLoss) / 2;
    }

    /// <summary>Mean cross-entropy of <paramref name="targets"/> (ignoring <see cref="IgnoreIndex"/>), exact or sampled.</summary>
    private Tensor DirectionLoss(Tensor hidden, Tensor targets, Tensor? sampled)
    {
        if (sampled is null) return nn.functional.cross_entropy(softmax.call(hidden), targets, ignore_index: IgnoreIndex);
        Tensor keep = targets.ne(IgnoreIndex).nonzero().squeeze(1);
        hidden = hidden.index_select(0, keep);
        targets = targets.index_select(0, keep);
        // Sampled softmax with the log expected count subtracted (TensorFlow's remove_accidental_hits=True).
        double logSamples = Math.Log(settings.SoftmaxSamples);
        Tensor w = softmax.weight!, b = softmax.bias!;
        Tensor trueLogits = (hidden * w.index_select(0, targets)).sum(1) + b.index_select(0, targets) - samplingLogProbabilities!.index_select(0, targets) - logSamples;
        Tensor sampledLogits = hidden.matmul(w.index_select(0, sampled).t()) + b.index_select(0, sampled) - samplingLogProbabilities.index_select(0, sampled) - logSamples;
        sampledLogits = sampledLogits.masked_fill(targets.unsqueeze(1).eq(sampled.unsqueeze(0)), float.NegativeInfinity);
        Tensor logits = cat([trueLogits.unsqueeze(1), sampledLogits], 1);
        return nn.functional.cross_entropy(logits, zeros(logits.shape[0], dtype: ScalarType.Int64, device: logits.device));
    }

    private (Tensor Cell, Tensor Hidden)[]? SnapshotStates() =>
        Model.CarriedStates?.Select(s => (s.Cell.clone().DetachFromDisposeScope(), s.Hidden.clone().DetachFromDisposeScope())).ToArray();

    private static void DisposeStates((Tensor Cell, Tensor Hidden)[]? states)
    {
        if (states is null) return;
        foreach (var (cell, hidden) in states) { cell.Dispose(); hidden.Dispose(); }
    }

    private static string[][] Streams(IReadOnlyList<IReadOnlyList<string>> sentences, int? shuffleSeed, int rows)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        IEnumerable<IReadOnlyList<string>> order = sentences;
        if (shuffleSeed is int seed)
        {
            var random = new Random(seed);
            order = sentences.Select(x => (Key: random.Next(), Sentence: x)).OrderBy(x => x.Key).Select(x => x.Sentence).ToArray();
        }
        var streams = Enumerable.Range(0, rows).Select(_ => new List<string>()).ToArray();
        int i = 0;
        foreach (var sentence in order)
        {
            // Keep the streams even: each sentence goes to the currently shortest one.
            int shortest = i++ < streams.Length ? i - 1 : Array.IndexOf(streams, streams.MinBy(x => x.Count));
            streams[shortest].AddRange(Wrap(sentence));
        }
        return streams.Select(x => x.ToArray()).ToArray();
    }

    private int WindowCount(string[][] streams, string what)
    {
        int windows = streams.Min(s => (s.Length - 1) / settings.UnrollSteps);
        if (windows == 0)
            throw new ArgumentException($"The {what} text is too short: each of the {streams.Length} streams needs more than {settings.UnrollSteps} tokens. Pass more sentences or lower BatchSize/UnrollSteps.");
        return windows;
    }

    private static IEnumerable<string> Wrap(IReadOnlyList<string> sentence) => [Vocabulary.BeginOfSentence, .. sentence, Vocabulary.EndOfSentence];

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private sealed record CheckpointInfo(int Step, long Tokens, PretrainOptions Settings);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor accumulator in accumulators) accumulator.Dispose();
        samplingLogProbabilities?.Dispose();
        softmax.Dispose();
        Model.Dispose();
    }
}

/// <summary>Figures after a pretraining step.</summary>
/// <param name="Step">Steps done so far.</param>
/// <param name="Tokens">Tokens trained on so far (per direction).</param>
/// <param name="Loss">The step's mean cross-entropy of both directions (nats; with the sampled softmax, of the sampled problem).</param>
/// <param name="Perplexity">exp(<paramref name="Loss"/>).</param>
/// <param name="TokensPerSecond">Training throughput of this call.</param>
public sealed record PretrainStep(int Step, long Tokens, double Loss, double Perplexity, double TokensPerSecond);
