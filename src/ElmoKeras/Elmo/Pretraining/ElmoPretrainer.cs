using System.Diagnostics;
using ElmoKeras.Weights;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

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
    // The training loop and the optimizer. TokenStreams lays the text into streams and windows,
    // SampledSoftmax is the output layer and its loss, PretrainCheckpoint the checkpoint folder.

    /// <summary>The file that marks a complete checkpoint folder (written last).</summary>
    public const string CheckpointInfoFile = "checkpoint.json";
    // bilm-tf's Adagrad starts every accumulator at 1, which also keeps the first steps small.
    private const double InitialAccumulator = 1.0;
    private readonly PretrainOptions settings;
    private readonly ILogger logger;
    private readonly SampledSoftmax softmax;
    private readonly List<(string Name, Parameter Parameter)> parameters;
    private readonly List<Tensor> accumulators;
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
        softmax = new SampledSoftmax(options.Lstm.ProjectionDim, vocabulary.Count, this.settings.SoftmaxSamples);
        parameters = [.. Model.Network.named_parameters().Select(p => ("bilm." + p.name, p.parameter)), .. softmax.NamedParameters.Select(p => ("softmax." + p.Name, p.Parameter))];
        accumulators = parameters.Select(p => HeldScalarMath.FullLike(p.Parameter, InitialAccumulator).DetachFromDisposeScope()).ToList();
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
    public bool UsesSampledSoftmax => softmax.IsSampled;

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
        var streams = TokenStreams.Create(sentences, shuffleSeed: settings.Seed, settings.BatchSize, settings.UnrollSteps, "training");
        int windows = streams.Windows;
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
        var streams = TokenStreams.Create(sentences, shuffleSeed: null, rows, settings.UnrollSteps, "held-out");
        int windows = streams.Windows;
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
            foreach (string token in TokenStreams.Wrap(sentence)) counts[vocabulary.IdOf(token)]++;
        double total = counts.Sum() + counts.Length;
        double logSum = 0;
        long n = 0;
        foreach (var sentence in heldOut)
            foreach (string token in TokenStreams.Wrap(sentence))
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
        string target = PretrainCheckpoint.Write(directory, Model.Options, Vocabulary, new PretrainCheckpoint.Info(step, tokensSeen, settings),
            PretrainCheckpoint.Arrays(parameters, accumulators, Model.CarriedStates));
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
        var (folder, info, options, vocabulary) = PretrainCheckpoint.Open(directory);
        var trainer = new ElmoPretrainer(options, vocabulary, info.Settings, logger);
        try
        {
            PretrainCheckpoint.Restore(folder, trainer.parameters, trainer.accumulators, trainer.Model);
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

    private double TrainStep(TokenStreams streams, int window)
    {
        using var scope = NewDisposeScope();
        // One draw per step shared by the batch; seeded by the step so that a resumed run draws the same.
        Tensor? sampled = softmax.Draw((ulong)(settings.Seed * 1_000_003L + step));
        Tensor loss = WindowLoss(streams, window, sampled);
        foreach (var (_, parameter) in parameters) parameter.grad?.zero_();
        loss.backward();
        nn.utils.clip_grad_norm_(parameters.Select(p => p.Parameter), settings.ClipNorm);
        using (no_grad())
        {
            using Scalar one = 1.ToScalar(), step = (-settings.LearningRate).ToScalar();
            for (int i = 0; i < parameters.Count; i++)
            {
                Tensor? gradient = parameters[i].Parameter.grad;
                if (gradient is null) continue;
                accumulators[i].addcmul_(gradient, gradient, one);
                parameters[i].Parameter.addcdiv_(gradient, accumulators[i].sqrt(), step);
            }
        }
        return loss.item<float>();
    }

    private Tensor WindowLoss(TokenStreams streams, int window, Tensor? sampled)
    {
        var (tokens, next, previous) = streams.Window(window, Vocabulary, SampledSoftmax.IgnoreIndex);
        var (layers, _) = Model.Forward(Model.CreateBatch(tokens));                // [B, L, T, 2P]
        long p = Model.Options.Lstm.ProjectionDim;
        Tensor top = layers.select(1, layers.shape[1] - 1);
        if (Model.Network.training && settings.Dropout > 0) top = nn.functional.dropout(top, settings.Dropout, training: true);
        Device device = Model.Device;
        Tensor forwardLoss = softmax.Loss(top.narrow(2, 0, p).reshape(-1, p), tensor(next, device: device), sampled);
        Tensor backwardLoss = softmax.Loss(top.narrow(2, p, p).reshape(-1, p), tensor(previous, device: device), sampled);
        return forwardLoss.Plus(backwardLoss).DividedBy(2);
    }

    private (Tensor Cell, Tensor Hidden)[]? SnapshotStates() =>
        Model.CarriedStates?.Select(s => (s.Cell.clone().DetachFromDisposeScope(), s.Hidden.clone().DetachFromDisposeScope())).ToArray();

    private static void DisposeStates((Tensor Cell, Tensor Hidden)[]? states)
    {
        if (states is null) return;
        foreach (var (cell, hidden) in states) { cell.Dispose(); hidden.Dispose(); }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor accumulator in accumulators) accumulator.Dispose();
        softmax.Dispose();
        Model.Dispose();
    }
}
