using System.Diagnostics;
using System.Text.Json;
using ElmoKeras.Elmo;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoCli.Bench;

/// <summary>
/// How far bfloat16 products move ELMo's outputs: the same weights run in float32 and in
/// bfloat16 over the bench's sentences, every layer compared. Times both too, so the speed and the
/// drift of the opt-in come from one run.
/// </summary>
internal static class DriftBench
{
    /// <param name="full">The model in float32 (the caller disposes both).</param>
    /// <param name="half">The same weights with bfloat16 products.</param>
    public static DriftResult Run(ElmoModel full, ElmoModel half, BenchSettings settings, CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads);
        string[][] sentences = ImdbTestReviews.Load(settings.ImdbSource, settings.Count, settings.MaxTokens, settings.MinTokens);
        int[][] batches = LengthBuckets.Batches(sentences.Select(s => s.Length).ToArray(), settings.BatchSize ?? 32).ToArray();
        double worst = 0, sum = 0, largest = 0, fullSeconds = 0, halfSeconds = 0;
        long count = 0;
        foreach (int[] batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            IReadOnlyList<string>[] rows = batch.Select(i => (IReadOnlyList<string>)sentences[i]).ToArray();
            var clock = Stopwatch.StartNew();
            using ElmoEmbeddings a = full.Embed(rows);
            fullSeconds += clock.Elapsed.TotalSeconds;
            clock.Restart();
            using ElmoEmbeddings b = half.Embed(rows);
            halfSeconds += clock.Elapsed.TotalSeconds;
            // Padded positions are zero in both, so they add nothing to the maximum; the mean counts real tokens.
            Tensor diff = (a.Layers - b.Layers).abs();
            worst = Math.Max(worst, diff.max().item<float>());
            largest = Math.Max(largest, a.Layers.abs().max().item<float>());
            sum += diff.sum().item<float>();
            count += a.Mask.sum().item<long>() * a.Layers.shape[1] * a.Layers.shape[3];
        }
        long tokens = sentences.Sum(s => (long)s.Length);
        return new DriftResult(sentences.Length, tokens, Math.Round(worst, 5), count == 0 ? 0 : sum / count, Math.Round(largest, 3),
            Math.Round(tokens / fullSeconds, 1), Math.Round(tokens / halfSeconds, 1));
    }
}

/// <summary>bfloat16 against float32 on the same weights and sentences, as one JSON line.</summary>
internal sealed record DriftResult(int Sentences, long Tokens, double MaxAbsDifference, double MeanAbsDifference, double MaxAbsValue,
    double Fp32TokensPerSecond, double Bf16TokensPerSecond)
{
    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
}
