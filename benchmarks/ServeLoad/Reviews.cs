namespace ServeLoad;

/// <summary>IMDB test reviews in the order <c>elmo bench</c> reads them (those of at least minTokens tokens), cut to their first tokens.</summary>
internal static class Reviews
{
    public static string[] Load(string source, int count, int maxTokens, int minTokens = 1)
    {
        string root = Directory.Exists(Path.Combine(source, "aclImdb")) ? Path.Combine(source, "aclImdb") : source;
        foreach (string part in new[] { "pos", "neg" })
            if (!Directory.Exists(Path.Combine(root, "test", part))) throw new ArgumentException($"--imdb '{source}' has no test/{part} folder; pass the extracted aclImdb folder.");
        string[] reviews = new[] { "pos", "neg" }
            .SelectMany(part => Directory.GetFiles(Path.Combine(root, "test", part), "*.txt").OrderBy(Path.GetFileName, StringComparer.Ordinal))
            .Select(f => File.ReadAllText(f).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(tokens => tokens.Length >= minTokens)
            .Take(count)
            .Select(tokens => string.Join(' ', tokens.Take(maxTokens)))
            .ToArray();
        if (reviews.Length < count && minTokens > 1)
            throw new ArgumentException($"--imdb '{source}' has only {reviews.Length} test reviews of at least {minTokens} tokens (--min-tokens); --n asked for {count}.");
        return reviews;
    }
}
