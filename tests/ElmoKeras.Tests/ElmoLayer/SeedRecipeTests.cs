using ElmoKeras.Data;
using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras;
using ElmoKeras.Layers;
using ElmoKeras.Tests.Data;
using ElmoKeras.Tests.TestSupport;
using Microsoft.Data.Analysis;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.ElmoLayer;

/// <summary>
/// The seed's program in C#: IMDB reviews → first 150 words → Input(string) → ElmoEmbeddingLayer →
/// Dense(256, relu) → Dense(1, sigmoid), binary cross-entropy and Adam, with the tiny ELMo fixture.
/// </summary>
public sealed class SeedRecipeTests(ImdbArchiveFixture imdb, ITestOutputHelper output) : IClassFixture<ImdbArchiveFixture>, IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-seed-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private (string[] Text, float[] Labels) Reviews(string part, int count)
    {
        string root = imdb.RequireRoot();
        DataFrame frame = Imdb.LoadDataset(Path.Combine(root, part), seed: 42);
        string[] text = Text.FirstWords(frame, 150).Take(count).ToArray();
        float[] labels = frame.ToSingleArray("polarity").Take(count).ToArray();
        return (text, labels);
    }

    private static Model BuildSeedModel(ElmoModel elmo, ElmoLayerOptions? options = null)
    {
        var input = Keras.Input([1], DType.String);
        var embedding = new ElmoEmbeddingLayer(elmo, options: options).Apply(input);
        var dense = new Dense(256, activation: "relu").Apply(embedding);
        var pred = new Dense(1, activation: "sigmoid").Apply(dense);
        var model = new Model(input, pred);
        model.Compile(loss: "binary_crossentropy", optimizer: "adam", metrics: ["accuracy"]);
        return model;
    }

    [Fact]
    public void SeedProgramBuildsSummarisesFitsAndReloadsBitIdentically()
    {
        var (trainText, trainLabels) = Reviews("train", 320);
        var (testText, testLabels) = Reviews("test", 96);
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);

        KerasRandom.SetSeed(0);
        using Model model = BuildSeedModel(elmo);
        string summary = model.SummaryText();
        output.WriteLine(summary);
        Assert.Contains("elmo_embedding_layer (ElmoEmbeddingLayer)", summary);
        Assert.Matches(@"elmo_embedding_layer \(ElmoEmbeddingLayer\)\s+\(None, 32\)\s+4\s", summary);
        Assert.Matches(@"dense \(Dense\)\s+\(None, 256\)\s+8,448\s", summary);
        Assert.Matches(@"dense_1 \(Dense\)\s+\(None, 1\)\s+257\s", summary);
        Assert.Contains("Total params: 8,709", summary);
        Assert.Contains("Trainable params: 8,709", summary);
        Assert.Contains("Non-trainable params: 0", summary);

        var progress = new StringWriter();
        model.Output = progress;
        var history = model.Fit(trainText, trainLabels, validationData: (testText, testLabels), epochs: 4, batchSize: 32, seed: 1);
        output.WriteLine(progress.ToString());
        Assert.Equal(4, history["loss"].Count);
        Assert.Equal(4, history["accuracy"].Count);
        Assert.Equal(4, history["val_accuracy"].Count);
        Assert.True(history["loss"][^1] < history["loss"][0], $"loss did not fall: {string.Join(", ", history["loss"])}");
        Assert.Contains("Epoch 4/4", progress.ToString());
        Assert.Matches(@"10/10 \[=+\] - .* - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}", progress.ToString());

        string weights = Path.Combine(dir, "seed.weights.h5");
        model.SaveWeights(weights);
        using Tensor before = model.Predict(testText);
        KerasRandom.SetSeed(99);
        using Model fresh = BuildSeedModel(elmo);
        using Tensor untrained = fresh.Predict(testText);
        Assert.False(untrained.allclose(before, rtol: 0, atol: 0));
        fresh.LoadWeights(weights);
        using Tensor after = fresh.Predict(testText);
        Assert.Equal(before.data<float>().ToArray(), after.data<float>().ToArray());
    }

    [Fact]
    public void CachedFrozenElmoGivesTheSameLossesAndPredictionsAsTheFullPath()
    {
        var (trainText, trainLabels) = Reviews("train", 96);
        var (testText, _) = Reviews("test", 32);
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        (IReadOnlyList<double> Losses, float[] Predictions, long BiLmRuns) Train(bool cache)
        {
            KerasRandom.SetSeed(5);
            using Model model = BuildSeedModel(elmo, new ElmoLayerOptions { CacheFeatures = cache });
            long before = elmo.SentencesRun;
            var history = model.Fit(trainText, trainLabels, epochs: 3, batchSize: 16, seed: 7, verbose: 0);
            long runs = elmo.SentencesRun - before;
            using Tensor predictions = model.Predict(testText);
            return (history["loss"], predictions.data<float>().ToArray(), runs);
        }
        var cached = Train(cache: true);
        var full = Train(cache: false);
        // The cache runs the bi-LM once per example for all 3 epochs; without it, once per example per epoch.
        Assert.Equal(trainText.Length, cached.BiLmRuns);
        Assert.Equal(3L * trainText.Length, full.BiLmRuns);
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(cached.Losses[i] - full.Losses[i]) < 1e-6, $"epoch {i}: {cached.Losses[i]} vs {full.Losses[i]}");
        for (int i = 0; i < full.Predictions.Length; i++) Assert.True(Math.Abs(cached.Predictions[i] - full.Predictions[i]) < 1e-6, $"prediction {i}");
    }
}
