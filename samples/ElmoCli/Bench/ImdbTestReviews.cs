namespace ElmoCli.Bench;

/// <summary>
/// The reviews every benchmark reads: IMDB's test set, test/pos then test/neg, file names in ordinal
/// order, those of at least a minimum number of whitespace tokens, cut to their first tokens. The
/// load generators (benchmarks/ServeLoad, benchmarks/BatcherLoad) compile this file in, so that a
/// server and the offline bench see the same sentences in the same order.
/// </summary>
internal static class ImdbTestReviews
{
    /// <param name="source">The extracted aclImdb folder, or the folder above it.</param>
    /// <param name="count">Reviews to return (fewer when the set has fewer).</param>
    /// <param name="maxTokens">Whitespace tokens kept per review.</param>
    /// <param name="minTokens">Reviews with fewer tokens are skipped; with too few left, an error says how many there are.</param>
    public static string[][] Load(string source, int count, int maxTokens, int minTokens = 1)
    {
        string root = Directory.Exists(Path.Combine(source, "aclImdb")) ? Path.Combine(source, "aclImdb") : source;
        foreach (string part in new[] { "pos", "neg" })
            if (!Directory.Exists(Path.Combine(root, "test", part))) throw new DirectoryNotFoundException($"--imdb '{source}' has no test/{part} folder; pass the extracted aclImdb folder.");
        string[][] sentences = new[] { "pos", "neg" }
            .SelectMany(part => Directory.GetFiles(Path.Combine(root, "test", part), "*.txt").OrderBy(Path.GetFileName, StringComparer.Ordinal))
            .Select(f => File.ReadAllText(f).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(tokens => tokens.Length >= minTokens)
            .Take(count)
            .Select(tokens => tokens.Take(maxTokens).ToArray())
            .ToArray();
        if (sentences.Length < count && minTokens > 1)
            throw new ArgumentException($"--imdb '{source}' has only {sentences.Length} test reviews of at least {minTokens} tokens (--min-tokens); --n asked for {count}.");
        return sentences;
    }
}
