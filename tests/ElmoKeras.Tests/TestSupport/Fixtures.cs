namespace ElmoKeras.Tests.TestSupport;

/// <summary>Paths to the test fixtures copied next to the test assembly.</summary>
internal static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string ElmoDir => Path.Combine(Root, "elmo-allennlp");
    public static string ElmoOptions => Path.Combine(ElmoDir, "options.json");
    public static string ElmoWeights => Path.Combine(ElmoDir, "lm_weights.hdf5");
    public static string ElmoSentences => Path.Combine(ElmoDir, "sentences.json");
    public static string ElmoReference(int k) => Path.Combine(ElmoDir, $"lm_embeddings_{k}.hdf5");

    /// <summary>Sentences of the fixture: 3 columns of 10 whitespace-tokenised sentences.</summary>
    public static string[][] ReadSentences() =>
        System.Text.Json.JsonSerializer.Deserialize<string[][]>(File.ReadAllText(ElmoSentences))!;
}
