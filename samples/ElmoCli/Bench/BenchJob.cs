using System.Diagnostics;
using System.Text.Json;
using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoCli.Bench;

/// <summary>
/// Times ELMo over the first reviews of IMDB's test set (test/pos then test/neg, file names in
/// ordinal order, first N whitespace tokens): the sentence choice of the reference figures in
/// docs/performance.md. One warm-up batch is run first and not timed.
/// </summary>
internal sealed class BenchJob(ElmoModel elmo, BenchSettings settings)
{
    private double? gradientNorm;

    public BenchResult Run(CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads);
        // Train mode times what fine-tuning runs: the public layer with the whole bi-LM trainable.
        using ElmoEmbeddingLayer? trainLayer = settings.Mode == BenchMode.Embed ? null
            : new ElmoEmbeddingLayer(elmo, ElmoOutput.Elmo, ElmoTrainable.All);
        string[][] sentences = ImdbTestReviews.Load(settings.ImdbSource, settings.Count, settings.MaxTokens, settings.MinTokens);
        int[] lengths = sentences.Select(s => s.Length).ToArray();
        int[][] batches = !settings.Bucketing ? Enumerable.Range(0, sentences.Length).Chunk(settings.BatchSize!.Value).ToArray()
            : settings.MaxBatchTokens is int budget ? LengthBuckets.ByTokenBudget(lengths, budget, settings.BatchSize).ToArray()
            : LengthBuckets.Batches(lengths, settings.BatchSize!.Value).ToArray();

        RunBatch(trainLayer, sentences, batches[0]);
        if (elmo.Device.type == DeviceType.CUDA) cuda.synchronize();
        // The timed pass starts with an empty token cache: the warm-up must not pre-fill it.
        elmo.ClearTokenCache();
        TokenCacheStatistics cacheBefore = elmo.TokenCache;
        double? rssAfterWarmup = ProcStatusMegabytes("VmRSS:");
        long tokens = sentences.Sum(s => (long)s.Length);
        var clock = Stopwatch.StartNew();
        var batchMs = new double[batches.Length];
        for (int b = 0; b < batches.Length; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long start = Stopwatch.GetTimestamp();
            RunBatch(trainLayer, sentences, batches[b]);
            if (elmo.Device.type == DeviceType.CUDA) cuda.synchronize();
            batchMs[b] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double[] sortedMs = [.. batchMs.Order()];
        TokenCacheStatistics cache = elmo.TokenCache;
        long hits = cache.Hits - cacheBefore.Hits, lookups = hits + cache.Misses - cacheBefore.Misses;
        return new BenchResult(
            Mode: settings.Mode.ToString().ToLowerInvariant(),
            Device: elmo.Device.ToString(),
            Threads: settings.Threads,
            Sentences: sentences.Length,
            Tokens: tokens,
            BatchSize: settings.BatchSize,
            MaxBatchTokens: settings.MaxBatchTokens,
            Batches: batches.Length,
            Bucketing: settings.Bucketing,
            TokenCacheCapacity: cache.Capacity,
            TokenCacheHitRate: lookups == 0 ? 0 : Math.Round((double)hits / lookups, 4),
            ComputeType: settings.BFloat16 ? "bfloat16" : "float32",
            Seconds: Math.Round(seconds, 3),
            TokensPerSecond: Math.Round(tokens / seconds, 1),
            SentencesPerSecond: Math.Round(sentences.Length / seconds, 2),
            PeakRssMegabytes: ProcStatusMegabytes("VmHWM:"),
            RssAfterWarmupMegabytes: rssAfterWarmup,
            RssEndMegabytes: ProcStatusMegabytes("VmRSS:"),
            GradientNorm: gradientNorm is double norm ? Math.Round(norm, 6) : null)
        {
            // With --batch-size 1, the latency of one sentence alone: what a server's 1-client p99 compares with.
            BatchMsP50 = NearestRank.Percentile(sortedMs, 0.50),
            BatchMsP99 = NearestRank.Percentile(sortedMs, 0.99),
            BatchMsMax = NearestRank.Percentile(sortedMs, 1),
        };
    }

    private void RunBatch(ElmoEmbeddingLayer? trainLayer, string[][] sentences, int[] batch)
    {
        if (trainLayer is null)
        {
            elmo.Embed(batch.Select(i => (IReadOnlyList<string>)sentences[i]).ToArray()).Dispose();
            return;
        }
        using var scope = NewDisposeScope();
        LayerValue output = trainLayer.Invoke([LayerValue.FromTokens(batch.Select(i => sentences[i]).ToArray())], training: true);
        output.Tensor!.mean().backward();
        // The norm of the bi-LM's gradient shows that a backward pass reached every weight.
        Weight[] biLm = trainLayer.TrainableWeights.Where(w => w.Name.StartsWith("bilm/", StringComparison.Ordinal)).ToArray();
        using (no_grad()) gradientNorm = Math.Sqrt(biLm.Select(w => w.Parameter.grad).OfType<Tensor>().Sum(g => (g * g).sum().item<float>()));
        foreach (Weight weight in trainLayer.TrainableWeights) weight.Parameter.grad?.zero_();
    }

    /// <summary>A memory figure of this process from /proc (VmHWM: peak resident, VmRSS: resident now), or null off Linux.</summary>
    internal static double? ProcStatusMegabytes(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? null : Math.Round(long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0, 1);
    }
}

/// <summary>One benchmark measurement, printed as a JSON line.</summary>
/// <remarks>
/// The token cache's hit rate counts each batch's distinct tokens: the share that skipped the character CNN.
/// In train mode, the gradient norm is the L2 norm over every bi-LM parameter of the last batch's gradient
/// of the mean output (it shows that the backward pass ran); null in embed mode.
/// </remarks>
internal sealed record BenchResult(string Mode, string Device, int Threads, int Sentences, long Tokens, int? BatchSize, int? MaxBatchTokens, int Batches,
    bool Bucketing, int TokenCacheCapacity, double TokenCacheHitRate, string ComputeType,
    double Seconds, double TokensPerSecond, double SentencesPerSecond, double? PeakRssMegabytes, double? RssAfterWarmupMegabytes, double? RssEndMegabytes,
    double? GradientNorm = null)
{
    /// <summary>Median time of one timed batch, in milliseconds.</summary>
    public double? BatchMsP50 { get; init; }

    /// <summary>99th percentile of the timed batches' times (nearest rank), in milliseconds.</summary>
    public double? BatchMsP99 { get; init; }

    /// <summary>The slowest timed batch, in milliseconds.</summary>
    public double? BatchMsMax { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
}
