namespace ServeLoad;

/// <summary>IMDB test reviews in the order <c>elmo bench</c> reads them, cut to their first tokens.</summary>
internal static class Reviews
{
    public static string[] Load(string source, int count, int maxTokens)
    {
        string root = Directory.Exists(Path.Combine(source, "aclImdb")) ? Path.Combine(source, "aclImdb") : source;
        var files = new List<string>();
        foreach (string part in new[] { "pos", "neg" })
        {
            string dir = Path.Combine(root, "test", part);
            if (!Directory.Exists(dir)) throw new ArgumentException($"--imdb '{source}' has no test/{part} folder; pass the extracted aclImdb folder.");
            files.AddRange(Directory.GetFiles(dir, "*.txt").OrderBy(Path.GetFileName, StringComparer.Ordinal));
            if (files.Count >= count) break;
        }
        return files.Take(count)
            .Select(f => string.Join(' ', File.ReadAllText(f).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Take(maxTokens)))
            .ToArray();
    }
}
