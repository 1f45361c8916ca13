using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras.Layers;
using ElmoKeras.Tests.TestSupport;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.ElmoLayer;

/// <summary>
/// A frozen bi-LM's sequence outputs are cached per token: Fit runs the bi-LM once per example and
/// trains the scalar mix and the head on the stored vectors, with the numbers of the uncached path.
/// </summary>
public sealed class TokenFeatureCacheTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-features-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>48 sentences of 1 to 19 words from the fixture's text, labelled by whether they hold a word of the first sentence.</summary>
    private static (string[] Text, float[] Labels) Data()
    {
        string[] words = Fixtures.ReadSentences().SelectMany(c => c).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct().ToArray();
        var random = new Random(3);
        string[] text = Enumerable.Range(0, 48).Select(i => string.Join(' ', Enumerable.Range(0, 1 + random.Next(19)).Select(_ => words[random.Next(words.Length)]))).ToArray();
        var marker = new HashSet<string>(words.Take(30));
        float[] labels = text.Select(t => t.Split(' ').Any(marker.Contains) ? 1f : 0f).ToArray();
        return (text, labels);
    }

    private sealed record Run(IReadOnlyList<double> Losses, float[] Predictions, long BiLmRuns);

    /// <summary>What follows ELMo: masked average pooling, a BiLSTM, or the ELMo paper's task model.</summary>
    public enum Head { Pooling, BiLstm, Paper }

    private static Run Train(ElmoModel elmo, ElmoOutput output, ElmoLayerOptions options, Head head = Head.Pooling)
    {
        var (text, labels) = Data();
        KerasRandom.SetSeed(11);
        var input = Keras.Input([1], DType.String);
        var tokens = new ElmoEmbeddingLayer(elmo, output, maxTokens: 12, options: options).Apply(input);
        KerasTensor pooled;
        if (head == Head.Paper)
        {
            // The ELMo paper's task model: ELMo (with dropout) ⊕ trained word vectors → BiLSTM → max over steps.
            var vectorizer = new TextVectorization(maxLength: 12);
            vectorizer.Adapt(text);
            var words = new Embedding(vectorizer.VocabularySize, 4, maskZero: true).Apply(vectorizer.Apply(input));
            var joined = new Concatenate().Apply(new Dropout(0.5).Apply(tokens), words);
            pooled = new GlobalMaxPooling1D().Apply(new Bidirectional(new LSTM(5, returnSequences: true)).Apply(joined));
        }
        else pooled = head == Head.BiLstm ? new Bidirectional(new LSTM(6)).Apply(tokens) : new GlobalAveragePooling1D().Apply(tokens);
        using var model = new Model(input, new Dense(1, activation: "sigmoid").Apply(pooled));
        model.Compile(loss: "binary_crossentropy", optimizer: "adam", metrics: ["accuracy"]);
        long before = elmo.SentencesRun;
        var history = model.Fit(text, labels, epochs: 3, batchSize: 8, seed: 5, verbose: 0);
        long runs = elmo.SentencesRun - before;
        using Tensor predictions = model.Predict(text[..16]);
        return new Run(history["loss"], predictions.data<float>().ToArray(), runs);
    }

    private static void AssertClose(Run expected, Run actual, double tolerance)
    {
        for (int i = 0; i < expected.Losses.Count; i++)
            Assert.True(Math.Abs(expected.Losses[i] - actual.Losses[i]) <= tolerance, $"epoch {i} loss: {expected.Losses[i]} vs {actual.Losses[i]}");
        for (int i = 0; i < expected.Predictions.Length; i++)
            Assert.True(Math.Abs(expected.Predictions[i] - actual.Predictions[i]) <= tolerance, $"prediction {i}: {expected.Predictions[i]} vs {actual.Predictions[i]}");
    }

    [Theory]
    [InlineData(ElmoOutput.Elmo, Head.Pooling)]
    [InlineData(ElmoOutput.Elmo, Head.BiLstm)]
    [InlineData(ElmoOutput.Elmo, Head.Paper)]
    [InlineData(ElmoOutput.WordEmb, Head.Pooling)]
    [InlineData(ElmoOutput.LstmOutputs1, Head.Pooling)]
    [InlineData(ElmoOutput.LstmOutputs2, Head.Pooling)]
    public void FrozenSequenceOutputTrainsOnCachedTokenVectorsWithTheSameNumbers(ElmoOutput output, Head head)
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        Run cached = Train(elmo, output, new ElmoLayerOptions(), head);
        Run full = Train(elmo, output, new ElmoLayerOptions { CacheFeatures = false }, head);
        // Once per example for all 3 epochs, against once per example per epoch.
        Assert.Equal(48, cached.BiLmRuns);
        Assert.Equal(3 * 48, full.BiLmRuns);
        // The cache's batches are bucketed by length, the uncached path's are not: a sentence's vectors
        // then differ by float rounding only (StatelessEmbeddingTests), so 1e-5 after 3 epochs.
        AssertClose(full, cached, 1e-5);
        Assert.True(cached.Losses[2] < cached.Losses[0], "the head learnt nothing, so the comparison proves little");
    }

    [Fact]
    public void AFileStoreGivesTheSameNumbersAsMemoryAndIsDeletedAfterFit()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        Run memory = Train(elmo, ElmoOutput.Elmo, new ElmoLayerOptions());
        string folder = Path.Combine(dir, "cache");
        Run file = Train(elmo, ElmoOutput.Elmo, new ElmoLayerOptions { FeatureCacheMemoryLimit = 0, FeatureCacheDirectory = folder });
        Assert.Equal(memory.Losses, file.Losses);
        Assert.Equal(memory.Predictions, file.Predictions);
        Assert.True(Directory.Exists(folder), "the store never went to a file");
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Float16StorageRoundsTheVectorsButTrainsAlike()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        Run exact = Train(elmo, ElmoOutput.Elmo, new ElmoLayerOptions());
        Run half = Train(elmo, ElmoOutput.Elmo, new ElmoLayerOptions { FeatureCacheStorage = ElmoFeatureStorage.Float16 });
        Assert.Equal(48, half.BiLmRuns);
        Assert.NotEqual(exact.Losses, half.Losses);
        // float16 keeps about 3 significant digits of each vector; the losses move in the 4th.
        AssertClose(exact, half, 2e-3);
    }

    [Fact]
    public void TheStoreGivesBackEachExamplesTokensZeroPaddedWithItsMask()
    {
        int[] lengths = [3, 0, 5, 1];
        using var store = new TokenFeatureStore(lengths, 4, ElmoFeatureStorage.Float32, 1 << 20, dir);
        using var scope = NewDisposeScope();
        var written = new Tensor[lengths.Length];
        for (int i = 0; i < lengths.Length; i++)
        {
            // Rows past the example's length are junk the store must not keep.
            written[i] = randn(lengths[i] + 2, 4);
            store.Write(i, written[i]);
        }
        LayerValue batch = store.Take([2, 1, 0]);
        Assert.Equal(new long[] { 3, 5, 4 }, batch.Tensor!.shape);
        Assert.Equal(new[] { true, true, true, true, true, false, false, false, false, false, true, true, true, false, false },
            batch.Mask!.data<bool>().ToArray());
        Assert.True(batch.Tensor[0].narrow(0, 0, 5).equal(written[2].narrow(0, 0, 5)).all().item<bool>());
        Assert.Equal(0f, batch.Tensor[1].abs().sum().item<float>());
        Assert.True(batch.Tensor[2].narrow(0, 0, 3).equal(written[0].narrow(0, 0, 3)).all().item<bool>());
        Assert.Equal(0f, batch.Tensor[2].narrow(0, 3, 2).abs().sum().item<float>());
    }

    [Theory]
    [InlineData(ElmoOutput.Default)]
    [InlineData(ElmoOutput.Elmo)]
    public void CacheProgressStartsEachPassAtZeroAndCountsUpToItsTotal(ElmoOutput output)
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var reports = new List<(int Done, int Total)>();
        var options = new ElmoLayerOptions { CacheProgress = new InlineProgress<(int Done, int Total)>(reports.Add), CacheBatchSize = 16 };
        var (text, labels) = Data();
        var input = Keras.Input([1], DType.String);
        var vectors = new ElmoEmbeddingLayer(elmo, output, maxTokens: 12, options: options).Apply(input);
        if (output != ElmoOutput.Default) vectors = new GlobalAveragePooling1D().Apply(vectors);
        using var model = new Model(input, new Dense(1, activation: "sigmoid").Apply(vectors));
        model.Compile(loss: "binary_crossentropy", optimizer: "adam");
        model.Fit(text[..40], labels[..40], epochs: 2, batchSize: 8, validationData: (text[40..], labels[40..]), verbose: 0);

        // One pass over the 40 training examples and one over the 8 validation ones, each announced
        // with (0, total) so that a progress display can time each pass on its own.
        int[] starts = Enumerable.Range(0, reports.Count).Where(i => reports[i].Done == 0).ToArray();
        Assert.Equal(2, starts.Length);
        Assert.Equal(0, starts[0]);
        var passes = new[] { reports[..starts[1]], reports[starts[1]..] };
        Assert.Equal([40, 8], passes.Select(p => p[0].Total));
        foreach (var pass in passes)
        {
            Assert.All(pass, r => Assert.Equal(pass[0].Total, r.Total));
            Assert.True(pass.Count > 1 && pass.Zip(pass.Skip(1)).All(p => p.Second.Done > p.First.Done), string.Join(", ", pass));
            Assert.Equal(pass[0].Total, pass[^1].Done);
        }
    }}
