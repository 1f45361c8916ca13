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
}
