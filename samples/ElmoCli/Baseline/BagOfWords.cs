using System.Text.RegularExpressions;

namespace ElmoCli.Baseline;

/// <summary>
/// Turns text into ids of its word n-grams (lower-cased words, n = 1..<see cref="MaxN"/>) over a
/// vocabulary of the n-grams seen at least <c>minCount</c> times in the training text; id 0 is padding.
/// </summary>
internal sealed partial class BagOfWords
{
    private readonly Dictionary<string, long> ids;

    private BagOfWords(Dictionary<string, long> ids, int maxN)
    {
        this.ids = ids;
        MaxN = maxN;
    }

    /// <summary>Largest n-gram length.</summary>
    public int MaxN { get; }

    /// <summary>Ids in use including padding (the Embedding's input dimension).</summary>
    public int Size => ids.Count + 1;

    public static BagOfWords Fit(IEnumerable<string> texts, int maxN, int minCount)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string text in texts)
            foreach (string gram in Grams(text, maxN)) counts[gram] = counts.GetValueOrDefault(gram) + 1;
        long next = 1;
        var ids = counts.Where(kv => kv.Value >= minCount).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key, _ => next++, StringComparer.Ordinal);
        return new BagOfWords(ids, maxN);
    }

    /// <summary>[texts, longest] ids, zero-padded on the right; n-grams outside the vocabulary are left out.</summary>
    public long[,] Transform(IReadOnlyList<string> texts)
    {
        long[][] rows = texts.Select(t => Grams(t, MaxN).Select(g => ids.GetValueOrDefault(g)).Where(id => id > 0).ToArray()).ToArray();
        int width = Math.Max(1, rows.Max(r => r.Length));
        var result = new long[rows.Length, width];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) result[i, j] = rows[i][j];
        return result;
    }

    private static IEnumerable<string> Grams(string text, int maxN)
    {
        string[] words = Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToArray();
        for (int n = 1; n <= maxN; n++)
            for (int i = 0; i + n <= words.Length; i++) yield return n == 1 ? words[i] : string.Join(' ', words, i, n);
    }

    [GeneratedRegex(@"[\p{L}\p{N}']+")]
    private static partial Regex Word();
}
