using System.Diagnostics;
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
/// previous token through one shared softmax over <see cref="Vocabulary"/>; Adagrad with global
/// gradient clipping. The result saves in the bilm-tf layout that <see cref="ElmoModel.Load(string, string, ElmoModelSettings?)"/> reads.
/// </summary>
public sealed class ElmoPretrainer : IDisposable
{
    private const long IgnoreIndex = -100;
    private readonly PretrainOptions settings;
    private readonly ILogger logger;
    private readonly Linear softmax;
    private readonly optim.Optimizer optimizer;
    private readonly List<Parameter> parameters;
    private int step;
    private long tokensSeen;

    /// <summary>Creates an untrained bi-LM of <paramref name="options"/> with an output vocabulary.</summary>
    public ElmoPretrainer(ElmoOptions options, Vocabulary vocabulary, PretrainOptions? settings = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        this.settings = settings ?? new PretrainOptions();
        if (this.settings.BatchSize <= 0 || this.settings.UnrollSteps <= 0) throw new ArgumentException("BatchSize and UnrollSteps must be positive.", nameof(settings));
        this.logger = logger ?? NullLogger.Instance;
        // Windows carry their states and already hold <S>/</S> where sentences start and end.
        Model = ElmoModel.CreateRandom(options, this.settings.Seed, new ElmoModelSettings { Stateful = true, SentenceBoundaries = false, Logger = logger });
        random.manual_seed(this.settings.Seed);
        softmax = nn.Linear(options.Lstm.ProjectionDim, vocabulary.Count);
        parameters = [.. Model.Network.parameters(), .. softmax.parameters()];
        // bilm-tf: Adagrad with every accumulator starting at 1.
        optimizer = optim.Adagrad(parameters, this.settings.LearningRate, initial_accumulator_value: 1.0);
    }

    /// <summary>The bi-LM being trained (stateful, without added sentence boundaries).</summary>
    public ElmoModel Model { get; }

    /// <summary>The output vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>
    /// Runs <paramref name="steps"/> training steps over <paramref name="sentences"/> (cycling through
    /// them as often as needed), or fewer when <paramref name="timeBudget"/> runs out first. Returns
    /// the last step's figures.
    /// </summary>
    public PretrainStep Train(IReadOnlyList<IReadOnlyList<string>> sentences, int steps, IProgress<PretrainStep>? progress = null,
        TimeSpan? timeBudget = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        string[][] streams = Streams(sentences, shuffleSeed: settings.Seed, settings.BatchSize);
        int windows = WindowCount(streams, "training");
        Model.Network.train();
        var clock = Stopwatch.StartNew();
        PretrainStep last = new(step, tokensSeen, double.NaN, double.NaN, 0);
        for (int i = 0; i < steps && !(timeBudget is TimeSpan budget && clock.Elapsed >= budget); i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int window = step % windows;
            if (window == 0) Model.ResetStates(); // a new pass over the streams starts from zero states
            using var scope = NewDisposeScope();
            Tensor loss = WindowLoss(streams, window);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, settings.ClipNorm);
            optimizer.step();
            step++;
            tokensSeen += (long)settings.BatchSize * settings.UnrollSteps;
            double value = loss.item<float>();
            last = new PretrainStep(step, tokensSeen, value, Math.Exp(value), (double)(i + 1) * settings.BatchSize * settings.UnrollSteps / clock.Elapsed.TotalSeconds);
            progress?.Report(last);
        }
        logger.LogInformation("Pretraining step {Step}: loss {Loss:F3}, perplexity {Perplexity:F1}", last.Step, last.Loss, last.Perplexity);
        return last;
    }

    /// <summary>
    /// Perplexity of both directions on <paramref name="sentences"/>, streamed like the training data
    /// from zero states. Resets the carried states before and after.
    /// </summary>
    public double Perplexity(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        // Held-out text is often short: use fewer streams rather than refuse it.
        long tokens = sentences.Sum(x => (long)x.Count + 2);
        int rows = (int)Math.Clamp(tokens / (2L * settings.UnrollSteps), 1, settings.BatchSize);
        string[][] streams = Streams(sentences, shuffleSeed: null, rows);
        int windows = WindowCount(streams, "held-out");
        Model.ResetStates();
        Model.Network.eval();
        double total = 0;
        using (no_grad())
        {
            for (int w = 0; w < windows; w++)
            {
                using var scope = NewDisposeScope();
                total += WindowLoss(streams, w).item<float>();
            }
        }
        Model.ResetStates();
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

    private Tensor WindowLoss(string[][] streams, int window)
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
        Tensor forwardLogits = softmax.call(top.narrow(2, 0, p)).reshape(-1, Vocabulary.Count);
        Tensor backwardLogits = softmax.call(top.narrow(2, p, p)).reshape(-1, Vocabulary.Count);
        Tensor forwardLoss = nn.functional.cross_entropy(forwardLogits, tensor(next));
        Tensor backwardLoss = nn.functional.cross_entropy(backwardLogits, tensor(previous), ignore_index: IgnoreIndex);
        return (forwardLoss + backwardLoss) / 2;
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

    /// <inheritdoc/>
    public void Dispose()
    {
        optimizer.Dispose();
        softmax.Dispose();
        Model.Dispose();
    }
}

/// <summary>Figures after a pretraining step.</summary>
/// <param name="Step">Steps done so far.</param>
/// <param name="Tokens">Tokens trained on so far (per direction).</param>
/// <param name="Loss">The step's mean cross-entropy of both directions (nats).</param>
/// <param name="Perplexity">exp(<paramref name="Loss"/>).</param>
/// <param name="TokensPerSecond">Training throughput of this call.</param>
public sealed record PretrainStep(int Step, long Tokens, double Loss, double Perplexity, double TokensPerSecond);
