namespace ElmoKeras.Elmo;

/// <summary>
/// What an <see cref="ElmoModel"/>'s token cache holds and how often it served a token
/// (see <see cref="ElmoModelSettings.TokenCacheCapacity"/>).
/// </summary>
/// <param name="Capacity">The most distinct tokens it keeps; 0 when the cache is off.</param>
/// <param name="Count">Distinct tokens held now.</param>
/// <param name="Hits">Distinct tokens of a batch served from the cache, summed over batches.</param>
/// <param name="Misses">Distinct tokens of a batch that went through the character CNN, summed over batches.</param>
/// <param name="Evictions">Tokens dropped to make room (least recently used first).</param>
public sealed record TokenCacheStatistics(int Capacity, int Count, long Hits, long Misses, long Evictions)
{
    /// <summary>Hits over lookups, or 0 before the first lookup.</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
