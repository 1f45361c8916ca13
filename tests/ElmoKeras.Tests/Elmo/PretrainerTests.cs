using ElmoKeras.Elmo;
using ElmoKeras.Elmo.Pretraining;

namespace ElmoKeras.Tests.Elmo;

public sealed class PretrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-pretrain-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly ElmoOptions Tiny = new(
        new LstmOptions(Dim: 32, ProjectionDim: 16, NumLayers: 2, CellClip: 3, ProjectionClip: 3, UseSkipConnections: true),
        new CharCnnOptions(EmbeddingDim: 4, [new(1, 8), new(2, 8), new(3, 16)], NumHighway: 1, ElmoCharacters.NumCharacterIds, ElmoCharacters.DefaultMaxCharacters, CharCnnActivation.Relu));

    /// <summary>A small corpus with real structure: templated sentences whose words depend on their neighbours.</summary>
    private static List<string[]> Corpus(int count, int seed)
    {
        var random = new Random(seed);
        string[] subjects = ["the cat", "a dog", "my friend", "the old man", "this film"], verbs = ["likes", "hates", "sees", "wants"];
        string[] objects = ["the red ball", "a good book", "green tea", "the long road"], ends = [".", "!", "today ."];
        var sentences = new List<string[]>();
        for (int i = 0; i < count; i++)
            sentences.Add($"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]} {ends[random.Next(ends.Length)]}".Split(' '));
        return sentences;
    }

    [Fact]
    public void HeldOutPerplexityFallsClearlyBelowUnigramAndTheModelReloads()
    {
        List<string[]> train = Corpus(800, 1), heldOut = Corpus(200, 2);
        Vocabulary vocabulary = Vocabulary.Build(train, 100);
        using var trainer = new ElmoPretrainer(Tiny, vocabulary, new PretrainOptions { BatchSize = 8, UnrollSteps = 10, Seed = 3, LearningRate = 1.0 });
        double before = trainer.Perplexity(heldOut);
        trainer.Train(train, steps: 600);
        double after = trainer.Perplexity(heldOut);
        double unigram = ElmoPretrainer.UnigramPerplexity(train, heldOut, vocabulary);
        output.WriteLine($"held-out perplexity: untrained {before:F1}, trained {after:F2}, unigram {unigram:F2}");
        Assert.True(after < 0.7 * unigram, $"trained perplexity {after:F2} is not clearly below the unigram {unigram:F2}");

        trainer.Save(dir);
        Assert.Equal(vocabulary.Tokens, Vocabulary.Load(Path.Combine(dir, "vocab.txt")).Tokens);
        using var reloaded = ElmoModel.Load(Path.Combine(dir, "options.json"), Path.Combine(dir, "weights.hdf5"), new ElmoModelSettings { SentenceBoundaries = false });
        trainer.Model.ResetStates();
        string[][] probe = [["the", "cat", "likes", "green", "tea"]];
        using ElmoEmbeddings a = trainer.Model.Embed(probe), b = reloaded.Embed(probe);
        Assert.Equal(a.Layers.data<float>().ToArray(), b.Layers.data<float>().ToArray());
    }

    [Fact]
    public void VocabularyPutsSpecialTokensFirstThenWordsByFrequency()
    {
        Vocabulary vocabulary = Vocabulary.Build([["b", "a", "b"], ["c", "b", "a"]], 5);
        Assert.Equal(["<S>", "</S>", "<UNK>", "b", "a"], vocabulary.Tokens);
        Assert.Equal(2, vocabulary.IdOf("never seen"));
    }

    [Fact]
    public void TooLittleTextIsAClearError()
    {
        using var trainer = new ElmoPretrainer(Tiny, Vocabulary.Build([["x"]], 10), new PretrainOptions { BatchSize = 4, UnrollSteps = 20 });
        var ex = Assert.Throws<ArgumentException>(() => trainer.Train([["just", "a", "few"]], 1));
        Assert.Contains("training text is too short", ex.Message);
    }
}
