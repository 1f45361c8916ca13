using ElmoKeras.Elmo;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>The tiny AllenNLP test model the ELMo targets mutate, and the sentences they embed.</summary>
internal static class ElmoFixture
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures", "elmo-allennlp");
    public static string Options => Path.Combine(Directory, "options.json");
    public static string Weights => Path.Combine(Directory, "lm_weights.hdf5");

    public static readonly string[][] Sentences = [["The", "cat", "sat", "on", "the", "mat", "."], ["Hello", "ünïcödé"]];

    /// <summary>Every layer's vectors for <see cref="Sentences"/>, flattened.</summary>
    public static float[] Embed(ElmoModel elmo)
    {
        using ElmoEmbeddings output = elmo.Embed(Sentences);
        return output.Layers.data<float>().ToArray();
    }
}
