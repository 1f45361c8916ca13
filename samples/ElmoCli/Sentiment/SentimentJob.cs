using System.Diagnostics;
using System.Text.Json;
using ElmoKeras.Data;
using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras;
using ElmoKeras.Callbacks;
using ElmoKeras.Layers;
using ElmoKeras.Losses;
using ElmoKeras.Metrics;
using ElmoKeras.Optimizers;
using Microsoft.Data.Analysis;

namespace ElmoCli.Sentiment;

/// <summary>
/// The "ELMo embeddings in Keras" recipe end to end: IMDB, first N words, ElmoEmbeddingLayer,
/// Dense(256, relu), Dense(1, sigmoid), binary cross-entropy, Adam, fit with the test set as
/// validation, evaluate, save weights, history and a plot. Other heads: see <see cref="SentimentHead"/>.
/// </summary>
/// <param name="elmo">The bi-LM; null only for the words-only BiLSTM (<see cref="SentimentSettings.UseElmo"/> false).</param>
internal sealed class SentimentJob(ElmoModel? elmo, SentimentSettings settings, TextWriter output)
{
    public const string VocabularyFile = "vocabulary.txt";

    public const string WeightsFile = "sentiment.weights.h5";
    public const string HistoryFile = "history.json";
    public const string PlotFile = "training.png";

    /// <summary>Runs the recipe. Cancelling stops after the current batch and still saves what was trained.</summary>
    public async Task<SentimentResult> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        output.WriteLine(settings.Data is null ? $"Loading IMDB from {Imdb.DefaultOrigin} (cached)..." : $"Loading IMDB from {settings.Data}...");
        var (train, test) = await Imdb.DownloadAndLoadDatasetsAsync(new ImdbOptions { Source = settings.Data, Seed = settings.Seed }, null, cancellationToken);
        var (trainText, trainLabels) = Prepare(train, settings.MaxWords, settings.Limit);
        var (testText, testLabels) = Prepare(test, settings.MaxWords, settings.TestLimit ?? settings.Limit);
        output.WriteLine($"{trainText.Length} training and {testText.Length} test reviews, first {settings.MaxWords} words each.");

        KerasRandom.SetSeed(settings.Seed);
        var (model, elmoLayer, vectorizer) = Build(trainText);
        using Model _ = model;
        model.Output = output;
        model.Summary();

        Directory.CreateDirectory(settings.OutputDirectory);
        if (vectorizer is not null) File.WriteAllLines(Path.Combine(settings.OutputDirectory, VocabularyFile), vectorizer.Vocabulary.Skip(2));
        var history = new History();
        var timer = new EpochTimer();
        bool cancelled = false;
        var fitClock = Stopwatch.StartNew();
        try
        {
            // Fine-tuning starts from a trained head: the first epochs train it on the frozen (cached) bi-LM.
            int frozen = elmoLayer is not null && settings.Trainable == ElmoTrainable.All ? Math.Min(settings.FrozenEpochs, settings.Epochs) : 0;
            if (frozen > 0)
            {
                output.WriteLine($"Epochs 1-{frozen}: the bi-LM is frozen; then it trains at {settings.BiLmLearningRateScale:G3} x the learning rate.");
                elmoLayer!.Trainable = false;
                Compile(model);
                model.Fit(trainText, trainLabels, validationData: (testText, testLabels), epochs: frozen, batchSize: settings.BatchSize,
                    seed: settings.Seed, callbacks: [history, timer], cancellationToken: cancellationToken);
                elmoLayer.Trainable = true;
                Compile(model);
            }
            if (settings.Epochs > frozen)
                model.Fit(trainText, trainLabels, validationData: (testText, testLabels), epochs: settings.Epochs - frozen, batchSize: settings.BatchSize,
                    seed: settings.Seed + frozen, callbacks: [history, timer], cancellationToken: cancellationToken);
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
            output.WriteLine();
            output.WriteLine($"Cancelled after {history.Epochs.Count} complete epoch(s); saving what was trained.");
        }

        double fitSeconds = fitClock.Elapsed.TotalSeconds;
        output.WriteLine($"Fit took {fitSeconds:F1} s.");
        // The last epoch's validation pass already evaluated the final weights on the test set.
        Dictionary<string, double>? scores = null;
        if (!cancelled && history.Values.TryGetValue("val_loss", out List<double>? valLoss) && valLoss.Count > 0)
        {
            scores = history.Values.Where(kv => kv.Key.StartsWith("val_", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[4..], kv => kv.Value[^1]);
            output.WriteLine($"Test loss {scores["loss"]:F4}, test accuracy {scores["accuracy"]:F4}");
        }
        string weights = Path.Combine(settings.OutputDirectory, WeightsFile);
        model.SaveWeights(weights);
        File.WriteAllText(Path.Combine(settings.OutputDirectory, HistoryFile), JsonSerializer.Serialize(new
        {
            epochs = history.Epochs.Count,
            history = history.Values,
            test = scores,
            cancelled,
            trainExamples = trainText.Length,
            testExamples = testText.Length,
            head = settings.Head.ToString(),
            elmo = settings.UseElmo,
            trainable = settings.Trainable.ToString(),
            frozenEpochs = settings.FrozenEpochs,
            biLmLearningRateScale = settings.BiLmLearningRateScale,
            learningRate = settings.LearningRate,
            batchNorm = settings.BatchNorm,
            elmoLayerNorm = settings.ElmoLayerNorm,
            elmoGamma = settings.ElmoGamma,
            cacheFeatures = settings.CacheFeatures,
            fitSeconds = Math.Round(fitSeconds, 1),
            epochSeconds = timer.Seconds,
            seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
        }, new JsonSerializerOptions { WriteIndented = true }));
        if (history.Epochs.Count > 0) TrainingPlot.Save(history, Path.Combine(settings.OutputDirectory, PlotFile));
        output.WriteLine($"Saved {weights}, {HistoryFile} and {PlotFile} in {settings.OutputDirectory} ({clock.Elapsed.TotalSeconds:F0} s).");
        return new SentimentResult(history, scores, cancelled);
    }

    /// <summary>The first <paramref name="maxWords"/> words and the polarity of each review, the first <paramref name="limit"/> reviews only when given.</summary>
    internal static (string[] Text, float[] Labels) Prepare(DataFrame frame, int maxWords, int? limit)
    {
        string[] text = Text.FirstWords(frame, maxWords);
        float[] labels = frame.ToSingleArray("polarity");
        return limit is int n && n < text.Length ? (text[..n], labels[..n]) : (text, labels);
    }

    private (Model Model, ElmoEmbeddingLayer? Elmo, TextVectorization? Vectorizer) Build(string[] trainText)
    {
        var input = Keras.Input(shape: [1], dtype: DType.String);
        var layerOptions = new ElmoLayerOptions
        {
            CacheProgress = new ConsoleProgress("ELMo features", Console.Error),
            CacheFeatures = settings.CacheFeatures,
            BiLmLearningRateScale = settings.BiLmLearningRateScale,
            FeatureCacheStorage = settings.FeatureStorage,
            FeatureCacheDirectory = settings.FeatureCacheDirectory,
            LayerNorm = settings.ElmoLayerNorm,
            InitialGamma = settings.ElmoGamma,
        };
        ElmoEmbeddingLayer? elmoLayer = null;
        ElmoEmbeddingLayer ElmoLayer(ElmoOutput kind) =>
            elmoLayer = new ElmoEmbeddingLayer(elmo ?? throw new InvalidOperationException("This head needs an ELMo model."), kind, settings.Trainable, settings.MaxWords, layerOptions);
        TextVectorization? vectorizer = null;
        KerasTensor pred;
        if (settings.Head == SentimentHead.BiLstm)
        {
            var parts = new List<KerasTensor>();
            // Dropout on the ELMo vectors, as the paper puts it before the task model.
            if (settings.UseElmo) parts.Add(new Dropout(settings.ElmoDropout).Apply(ElmoLayer(ElmoOutput.Elmo).Apply(input)));
            if (settings.WordDim > 0)
            {
                vectorizer = new TextVectorization(maxTokens: settings.Vocabulary, maxLength: settings.MaxWords);
                vectorizer.Adapt(trainText);
                parts.Add(new Embedding(vectorizer.VocabularySize, settings.WordDim, maskZero: true).Apply(vectorizer.Apply(input)));
            }
            if (parts.Count == 0) throw new ArgumentException("The bilstm head needs ELMo, word embeddings (--word-dim > 0) or both.");
            KerasTensor tokens = parts.Count == 1 ? parts[0] : new Concatenate().Apply([.. parts]);
            var states = new Bidirectional(new LSTM(settings.LstmUnits, returnSequences: true)).Apply(tokens);
            pred = new Dense(1, activation: "sigmoid").Apply(new GlobalMaxPooling1D().Apply(states));
        }
        else
        {
            KerasTensor features = settings.Head == SentimentHead.Pooled
                ? ElmoLayer(ElmoOutput.Default).Apply(input)
                : new Bidirectional(new LSTM(64)).Apply(ElmoLayer(ElmoOutput.Elmo).Apply(input));
            // A small epsilon: pooled features of a briefly trained bi-LM differ by ~0.01, well under Keras's 1e-3 variance floor.
            if (settings.BatchNorm) features = new BatchNormalization(epsilon: 1e-6).Apply(features);
            var dense = new Dense(256, activation: "relu").Apply(features);
            pred = new Dense(1, activation: "sigmoid").Apply(dense);
        }
        var model = new Model(input, pred);
        Compile(model);
        return (model, elmoLayer, vectorizer);
    }

    private void Compile(Model model) =>
        model.Compile(new Adam(settings.LearningRate), Loss.Get("binary_crossentropy"), [Metric.Get("accuracy", Loss.Get("binary_crossentropy"))]);
}

/// <summary>What a sentiment run produced.</summary>
internal sealed record SentimentResult(History History, IReadOnlyDictionary<string, double>? Test, bool Cancelled);
