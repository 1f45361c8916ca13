using System.CommandLine;
using System.Text.Json;
using ElmoCli;
using ElmoCli.Bench;
using ElmoCli.RandomModel;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Cli;

public sealed class BenchAndRandomModelTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-bench-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void BenchTakesPositiveThenNegativeReviewsInOrdinalOrderCutToMaxTokens()
    {
        string root = Path.Combine(dir, "aclImdb");
        Directory.CreateDirectory(Path.Combine(root, "test", "pos"));
        Directory.CreateDirectory(Path.Combine(root, "test", "neg"));
        File.WriteAllText(Path.Combine(root, "test", "pos", "10_7.txt"), "second positive review");
        File.WriteAllText(Path.Combine(root, "test", "pos", "1_9.txt"), "first   positive\nreview here");
        File.WriteAllText(Path.Combine(root, "test", "neg", "0_2.txt"), string.Join(' ', Enumerable.Repeat("bad", 200)));

        string[][] sentences = ImdbTestReviews.Load(dir, count: 3, maxTokens: 150);
        // Ordinal order puts "10_7" before "1_9".
        Assert.Equal(["second", "positive", "review"], sentences[0]);
        Assert.Equal(["first", "positive", "review", "here"], sentences[1]);
        Assert.Equal(150, sentences[2].Length);

        // --min-tokens skips the shorter reviews; with too few long enough it says how many there are.
        string[][] long4 = ImdbTestReviews.Load(dir, count: 2, maxTokens: 4, minTokens: 4);
        Assert.Equal([["first", "positive", "review", "here"], ["bad", "bad", "bad", "bad"]], long4);
        var shortOfReviews = Assert.Throws<ArgumentException>(() => ImdbTestReviews.Load(dir, count: 2, maxTokens: 150, minTokens: 5));
        Assert.Contains("only 1 test reviews of at least 5 tokens", shortOfReviews.Message);

        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        BenchResult result = new BenchJob(elmo, new BenchSettings(dir, Count: 3, BatchSize: 2, Threads: 1)).Run(CancellationToken.None);
        Assert.Equal(3, result.Sentences);
        Assert.Equal(157, result.Tokens);
        Assert.True(result.TokensPerSecond > 0);
        var json = JsonDocument.Parse(result.ToJson()).RootElement;
        Assert.Equal(157, json.GetProperty("tokens").GetInt64());
        Assert.True(json.TryGetProperty("tokens_per_second", out _));
        // Two timed batches: the median, the 99th percentile (nearest rank: the slower) and the maximum
        // are batch times, and the two batches together take no longer than the whole timed pass.
        Assert.True(result.BatchMsP50 > 0 && result.BatchMsP50 <= result.BatchMsP99 && result.BatchMsP99 == result.BatchMsMax);
        Assert.True(result.BatchMsP50 + result.BatchMsMax <= result.Seconds * 1000 + 1);    // rounding: 0.1 ms each, 1 ms the total
        Assert.True(json.TryGetProperty("batch_ms_p99", out _));
        // Every batch after the first finds at least the boundary tokens in the cache.
        Assert.True(result.TokenCacheHitRate > 0, $"hit rate {result.TokenCacheHitRate}");

        using var uncached = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        BenchResult byBudget = new BenchJob(uncached, BenchSettings.Create(dir, 3, batchSize: null, maxBatchTokens: 160, 150, 1, BenchMode.Embed, true, false)).Run(CancellationToken.None);
        Assert.Equal(0, byBudget.TokenCacheHitRate);
        Assert.Equal(160, byBudget.MaxBatchTokens);
        Assert.Null(byBudget.BatchSize);
        Assert.Equal(2, byBudget.Batches); // 3 + 4 tokens share a batch; the 150-token review goes alone
    }

    /// <summary>An IMDB-like test folder holding these positive reviews (named 1_8.txt, 2_8.txt, … in order) and no negative ones.</summary>
    private void WritePositiveReviews(params string[] reviews)
    {
        string root = Path.Combine(dir, "test");
        Directory.CreateDirectory(Path.Combine(root, "pos"));
        Directory.CreateDirectory(Path.Combine(root, "neg"));
        for (int i = 0; i < reviews.Length; i++) File.WriteAllText(Path.Combine(root, "pos", $"{i + 1}_8.txt"), reviews[i]);
    }

    [Fact]
    public void Bf16DriftComparesTheSameWeightsInBothNumberTypes()
    {
        WritePositiveReviews("a good film , well made and moving", "great");
        ElmoModel Create(TorchSharp.torch.ScalarType type) => ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { ComputeType = type });
        using ElmoModel full = Create(TorchSharp.torch.ScalarType.Float32), half = Create(TorchSharp.torch.ScalarType.BFloat16);
        DriftResult drift = DriftBench.Run(full, half, new BenchSettings(dir, Count: 2, Threads: 1), CancellationToken.None);
        Assert.Equal(9, drift.Tokens);
        // bf16 keeps about two significant digits: close to float32, never identical.
        Assert.InRange(drift.MaxAbsDifference, 1e-5, 0.1);
        Assert.InRange(drift.MeanAbsDifference, 1e-7, drift.MaxAbsDifference);
        Assert.True(drift.MaxAbsValue > 1);
        var json = JsonDocument.Parse(drift.ToJson()).RootElement;
        Assert.True(json.TryGetProperty("bf16_tokens_per_second", out _));
    }

    [Fact]
    public void ProfileTimesEveryLstmLayerOfTheLongestBatch()
    {
        WritePositiveReviews("a good film , well made and moving", "great", "great great fun", "one two three four five six seven");
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        ElmoProfile profile = ProfileBench.Run(elmo, new BenchSettings(dir, Count: 4, BatchSize: 2, Threads: 1), CancellationToken.None);
        // Batches of 2 by length, [1, 3] and [7, 8] tokens: the second is the costlier.
        Assert.Equal(2, profile.Rows);
        Assert.Equal(8, profile.MaxTokens);
        Assert.Equal(2 + 8 + 7, profile.DistinctTokens);
        // The fixture's two layers, each with both directions timed together, as they run.
        Assert.Equal([0, 1], profile.Lstms.Select(l => l.Layer));
        Assert.All(profile.Lstms, l => Assert.Equal("both", l.Direction));
        Assert.All(profile.Lstms, l => Assert.True(l.InputProductMs > 0 && l.RecurrentProductsMs > 0 && l.InputProductMs + l.RecurrentProductsMs <= l.TotalMs + 1));
        Assert.True(profile.CharacterCnnMs > 0 && profile.WholeForwardMs > 0);
    }

    [Fact]
    public void PercentilesAreNearestRank()
    {
        double[] ms = [.. new double[] { 5, 1, 4, 2, 3 }.Order()];
        Assert.Equal(3, NearestRank.Percentile(ms, 0.5));
        Assert.Equal(5, NearestRank.Percentile(ms, 0.99));
        Assert.Equal(1, NearestRank.Percentile(ms, 0.2));
        Assert.Equal(2, NearestRank.Percentile(ms, 0.21));
        Assert.Equal(5, NearestRank.Percentile(ms, 1));
        Assert.Null(NearestRank.Percentile([], 0.99));
    }

    [Fact]
    public void GemmModeMeasuresAPositiveFlopRate()
    {
        GemmResult gemm = GemmBench.Run(threads: 1, CancellationToken.None);
        Assert.True(gemm.Gflops > 0.1 && gemm.BestSeconds > 0);
        // The rate follows from the time (the report rounds it to 0.1 GFLOP/s and the time to 10 µs).
        double expected = 2.0 * 2048 * 2048 * 2048 / gemm.BestSeconds / 1e9;
        Assert.InRange(gemm.Gflops, expected * 0.999 - 0.051, expected * 1.001 + 0.051);
    }

    [Fact]
    public void TrainModeRunsForwardAndBackward()
    {
        string root = Path.Combine(dir, "test");
        Directory.CreateDirectory(Path.Combine(root, "pos"));
        Directory.CreateDirectory(Path.Combine(root, "neg"));
        File.WriteAllText(Path.Combine(root, "pos", "1_8.txt"), "good film");
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        BenchResult result = new BenchJob(elmo, new BenchSettings(dir, Count: 1, Mode: BenchMode.Train, Threads: 1)).Run(CancellationToken.None);
        Assert.Equal("train", result.Mode);
        Assert.Equal(2, result.Tokens);

        // The backward pass ran: the bench reports the gradient of the mean output, which matches one computed here.
        using var reference = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        reference.Network.train();
        var (layers, _) = reference.Forward(reference.CreateBatch([["good", "film"]]));
        layers.mean().backward();
        double expected = Math.Sqrt(reference.Network.parameters().Select(p => p.grad).OfType<TorchSharp.torch.Tensor>().Sum(g => g.square().sum().item<float>()));
        Assert.True(expected > 0);
        Assert.NotNull(result.GradientNorm);
        Assert.Equal(expected, result.GradientNorm.Value, 1e-4 * expected);
        Assert.Equal(result.GradientNorm.Value, JsonDocument.Parse(result.ToJson()).RootElement.GetProperty("gradient_norm").GetDouble());
        // Embedding computes no gradient.
        Assert.Null(new BenchJob(elmo, new BenchSettings(dir, Count: 1, Threads: 1)).Run(CancellationToken.None).GradientNorm);
    }

    [Fact]
    public async Task RandomModelOfThePublishedSmallArchitectureLoadsWithItsParameterCount()
    {
        var root = new RootCommand();
        root.Subcommands.Add(RandomModelCommand.Create());
        var error = new StringWriter();
        Assert.Equal(0, await CommandRunner.InvokeAsync(root, ["random-model", "--arch", "small", "--output-dir", dir, "--seed", "3"], error));
        using var elmo = ElmoModel.Load(Path.Combine(dir, "options.json"), Path.Combine(dir, "weights.hdf5"));
        Assert.Equal(ElmoArchitectures.Small, elmo.Options);
        // Published: 13.6M parameters (the padding row of the character table is not stored).
        long parameters = elmo.Network.parameters().Sum(p => p.numel()) - elmo.Options.CharCnn.EmbeddingDim;
        Assert.InRange(parameters, 13_550_000, 13_650_000);
    }
}
