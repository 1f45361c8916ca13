using System.Text.Json;
using ElmoKeras.Elmo;
using TorchSharp;

namespace ElmoCli.Bench;

/// <summary>
/// <c>bench --profile</c>: profiles (<see cref="ElmoProfiler"/>) the batch of the bench's reviews
/// with the most padded tokens and prints where its time goes as one JSON line.
/// </summary>
internal static class ProfileBench
{
    public static ElmoProfile Run(ElmoModel elmo, BenchSettings settings, CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads);
        string[][] sentences = ImdbTestReviews.Load(settings.ImdbSource, settings.Count, settings.MaxTokens, settings.MinTokens);
        int batchSize = settings.BatchSize ?? 32;
        // Batches of similar length as the bench runs them (or in file order with --no-bucketing,
        // as a server's batches come); the one with the most padded tokens.
        IEnumerable<int> order = Enumerable.Range(0, sentences.Length);
        if (settings.Bucketing) order = order.OrderBy(i => sentences[i].Length);
        int[] batch = order.Chunk(batchSize).MaxBy(b => b.Length * b.Max(i => sentences[i].Length))!;
        return ElmoProfiler.Profile(elmo, batch.Select(i => (IReadOnlyList<string>)sentences[i]).ToArray(), cancellationToken: cancellationToken);
    }

    public static string ToJson(ElmoProfile profile) =>
        JsonSerializer.Serialize(profile, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
}
