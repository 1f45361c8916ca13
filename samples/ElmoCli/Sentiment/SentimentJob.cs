using System.Diagnostics;
using System.Text.Json;
using ElmoKeras.Data;
using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras;
using ElmoKeras.Callbacks;
using ElmoKeras.Layers;
using Microsoft.Data.Analysis;

namespace ElmoCli.Sentiment;

/// <summary>
/// The "ELMo embeddings in Keras" recipe end to end: IMDB, first N words, ElmoEmbeddingLayer,
/// Dense(256, relu), Dense(1, sigmoid), binary cross-entropy, Adam, fit with the test set as
/// validation, evaluate, save weights, history and a plot.
/// </summary>
internal sealed class SentimentJob(ElmoModel elmo, SentimentSettings settings, TextWriter output)
{
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
        using Model model = Build();
        model.Output = output;
        model.Summary();

        Directory.CreateDirectory(settings.OutputDirectory);
        var history = new History();
        bool cancelled = false;
        var fitClock = Stopwatch.StartNew();
        try
        {
            model.Fit(trainText, trainLabels, validationData: (testText, testLabels), epochs: settings.Epochs, batchSize: settings.BatchSize,
                seed: settings.Seed, callbacks: [history], cancellationToken: cancellationToken);
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
            batchNorm = settings.BatchNorm,
            cacheFeatures = settings.CacheFeatures,
            fitSeconds = Math.Round(fitSeconds, 1),
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

    private Model Build()
    {
        var input = Keras.Input(shape: [1], dtype: DType.String);
        var cacheProgress = new ConsoleProgress("ELMo features", Console.Error);
        var layerOptions = new ElmoLayerOptions { CacheProgress = cacheProgress, CacheFeatures = settings.CacheFeatures };
        KerasTensor features = settings.Head == SentimentHead.Pooled
            ? new ElmoEmbeddingLayer(elmo, ElmoOutput.Default, settings.Trainable, settings.MaxWords, layerOptions).Apply(input)
            : new Bidirectional(new LSTM(64)).Apply(new ElmoEmbeddingLayer(elmo, ElmoOutput.Elmo, settings.Trainable, settings.MaxWords, layerOptions).Apply(input));
        // A small epsilon: pooled features of a briefly trained bi-LM differ by ~0.01, well under Keras's 1e-3 variance floor.
        if (settings.BatchNorm) features = new BatchNormalization(epsilon: 1e-6).Apply(features);
        var dense = new Dense(256, activation: "relu").Apply(features);
        var pred = new Dense(1, activation: "sigmoid").Apply(dense);
        var model = new Model(input, pred);
        model.Compile(loss: "binary_crossentropy", optimizer: "adam", metrics: ["accuracy"]);
        return model;
    }
}

/// <summary>What a sentiment run produced.</summary>
internal sealed record SentimentResult(History History, IReadOnlyDictionary<string, double>? Test, bool Cancelled);
