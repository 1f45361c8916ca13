namespace ElmoCli.Bench;

/// <summary>
/// Latency percentiles as the load reports give them: nearest rank (the smallest value with at
/// least q of the values at or below it), rounded to 0.1. Also compiled into benchmarks/ServeLoad.
/// </summary>
internal static class NearestRank
{
    /// <summary>The q-th percentile (q in (0, 1]; 1 gives the maximum) of values sorted ascending; null when there are none.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? null : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count), 1, sorted.Count) - 1], 1);
}
