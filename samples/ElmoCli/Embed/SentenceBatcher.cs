using ElmoKeras.Elmo;

namespace ElmoCli.Embed;

/// <summary>
/// Turns a stream of sentences into batches for the model: the one place that decides batch sizes
/// (by count, or by a token budget, <c>--max-batch-tokens</c>).
/// </summary>
internal static class SentenceBatcher
{
    /// <summary>How many batches' worth of sentences are sorted together by length.</summary>
    public const int WindowBatches = 4;

    /// <summary>
    /// Consecutive windows of the input, each already cut into batches. Results are written a window
    /// at a time in input order, so memory is bounded by one window however long the input is.
    /// </summary>
    public static IEnumerable<Window> Windows(IEnumerable<Sentence> sentences, int batchSize, int? maxBatchTokens, bool keepOrder)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        foreach (Sentence[] window in sentences.Chunk(batchSize * WindowBatches))
            yield return new Window(window, Batches(window, batchSize, maxBatchTokens, keepOrder).ToArray());
    }

    /// <summary>
    /// Positions in <paramref name="window"/> per batch. A stateful model carries rows from batch to
    /// batch, so it must see the file in order; a stateless one gets length-sorted batches, which
    /// waste no recurrent steps on padding: at most <paramref name="batchSize"/> sentences each, and
    /// with a token budget at most <paramref name="maxBatchTokens"/> padded tokens.
    /// </summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<Sentence> window, int batchSize, int? maxBatchTokens, bool keepOrder) =>
        keepOrder ? Enumerable.Range(0, window.Count).Chunk(batchSize)
        : maxBatchTokens is int budget ? LengthBuckets.ByTokenBudget(window.Select(s => s.Tokens.Length).ToArray(), budget, batchSize)
        : LengthBuckets.Batches(window.Select(s => s.Tokens.Length).ToArray(), batchSize);

    /// <summary>Sentences in input order and the batches (positions in <see cref="Sentences"/>) to embed them in.</summary>
    internal sealed record Window(Sentence[] Sentences, int[][] Batches);
}
