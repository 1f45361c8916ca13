using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ElmoKeras.Data;
using ElmoKeras;
using ElmoKeras.Callbacks;
using ElmoKeras.Layers;
using ElmoCli.Sentiment;

namespace ElmoCli.Baseline;

/// <summary>
/// <c>elmo baseline</c>: the bag-of-words model ELMo has to beat on the same reviews and words:
/// uni- and bigram ids → Embedding → GlobalAveragePooling1D → Dense(1, sigmoid) (fastText-style),
/// written with the same Keras-style API.
/// </summary>
internal static class BaselineCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Imdb("--data", "aclImdb_v1.tar.gz or its extracted folder (default: download the official archive, cached).");
        var outputDir = CommonOptions.OutputDir("Where to write history.json.", "baseline-output");
        var maxWords = CommonOptions.MaxWords();
        var ngrams = new Option<int>("--ngrams") { Description = "Longest word n-gram.", DefaultValueFactory = _ => 2 }.Positive();
        var minCount = new Option<int>("--min-count") { Description = "N-grams seen fewer times in the training text are dropped.", DefaultValueFactory = _ => 2 }.Positive();
        var dim = new Option<int>("--dim") { Description = "Embedding size.", DefaultValueFactory = _ => 16 }.Positive();
        var epochs = CommonOptions.Epochs();
        var batchSize = CommonOptions.BatchSize(32);
        var limit = CommonOptions.Limit();
        var seed = CommonOptions.Seed();

        var command = new Command("baseline", "Train the bag-of-words (uni+bigram) IMDB baseline on the same reviews and words as the ELMo recipe.");
        foreach (Option option in new Option[] { data, outputDir, maxWords, ngrams, minCount, dim, epochs, batchSize, limit, seed }) command.Options.Add(option);
        command.SetAction(async (result, cancellationToken) =>
        {
            int n = result.GetValue(ngrams), words = result.GetValue(maxWords), count = result.GetValue(minCount), size = result.GetValue(dim);
            int epochCount = result.GetValue(epochs), batch = result.GetValue(batchSize);
            var clock = Stopwatch.StartNew();
            int dataSeed = result.GetValue(seed);
            var (train, test) = await Imdb.DownloadAndLoadDatasetsAsync(new ImdbOptions { Source = result.GetValue(data), Seed = dataSeed }, null, cancellationToken);
            var (trainText, trainLabels) = SentimentJob.Prepare(train, words, result.GetValue(limit));
            var (testText, testLabels) = SentimentJob.Prepare(test, words, result.GetValue(limit));
            BagOfWords bag = BagOfWords.Fit(trainText, n, count);
            long[,] trainIds = bag.Transform(trainText), testIds = bag.Transform(testText);
            Console.WriteLine($"{trainText.Length} training and {testText.Length} test reviews, first {words} words; {bag.Size - 1:N0} n-grams (n <= {n}, seen >= {count} times).");

            KerasRandom.SetSeed(dataSeed);
            var input = Keras.Input(shape: [null], dtype: DType.Int64);
            var pooled = new GlobalAveragePooling1D().Apply(new Embedding(bag.Size, size, maskZero: true).Apply(input));
            using var model = new Model(input, new Dense(1, activation: "sigmoid").Apply(pooled), name: "bag_of_words");
            model.Compile(optimizer: "adam", loss: "binary_crossentropy", metrics: ["accuracy"]);
            model.Summary();
            var history = new History();
            model.Fit(trainIds, trainLabels, validationData: (testIds, testLabels), epochs: epochCount, batchSize: batch, seed: dataSeed, callbacks: [history], cancellationToken: cancellationToken);
            double accuracy = history["val_accuracy"][^1];
            Console.WriteLine($"Test accuracy {accuracy:F4} ({clock.Elapsed.TotalSeconds:F0} s).");
            string dir = Path.GetFullPath(result.GetValue(outputDir)!);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "history.json"), JsonSerializer.Serialize(new
            {
                ngrams = n, minCount = count, dim = size, maxWords = words, vocabulary = bag.Size - 1, history = history.Values,
                testAccuracy = accuracy, seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }
}
