namespace ElmoKeras.Elmo;

/// <summary>
/// Groups sentences of similar length into batches, so that a batch wastes no recurrent steps on
/// padding. Results are reported per original index, so callers restore the order.
/// </summary>
public static class LengthBuckets
{
    /// <summary>
    /// Batches of indices into <paramref name="lengths"/>, each at most <paramref name="batchSize"/>
    /// long, shortest first. The sort is stable, so equal lengths keep their order.
    /// </summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<int> lengths, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).Chunk(batchSize);
    }

    /// <summary>
    /// Batches of indices into <paramref name="lengths"/>, shortest first, each holding as many
    /// sentences as fit in <paramref name="maxBatchTokens"/> padded tokens (rows × longest length),
    /// and at most <paramref name="maxBatchSize"/> sentences when given. Short sentences then share
    /// large batches and long ones small batches, so every batch costs about the same (the way
    /// text-embedding servers batch). A sentence longer than the budget gets a batch of its own.
    /// </summary>
    public static IEnumerable<int[]> ByTokenBudget(IReadOnlyList<int> lengths, int maxBatchTokens, int? maxBatchSize = null)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchTokens);
        if (maxBatchSize is int cap) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cap, nameof(maxBatchSize));
        return Pack(Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ToArray(), lengths, maxBatchTokens, maxBatchSize ?? int.MaxValue);
    }

    private static IEnumerable<int[]> Pack(int[] sorted, IReadOnlyList<int> lengths, int maxBatchTokens, int maxBatchSize)
    {
        var batch = new List<int>();
        foreach (int i in sorted)
        {
            // Sorted ascending, so the newcomer is the longest: the batch would cost (rows + 1) × its length.
            long cost = (long)(batch.Count + 1) * Math.Max(1, lengths[i]);
            if (batch.Count > 0 && (cost > maxBatchTokens || batch.Count == maxBatchSize))
            {
                yield return batch.ToArray();
                batch.Clear();
            }
            batch.Add(i);
        }
        if (batch.Count > 0) yield return batch.ToArray();
    }
}
