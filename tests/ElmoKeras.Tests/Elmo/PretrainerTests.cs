using ElmoKeras.Elmo;
using ElmoKeras.Elmo.Pretraining;
using ElmoKeras.Tests.TestSupport;

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
    public void SampledSoftmaxAlsoLearnsTheLanguage()
    {
        List<string[]> train = Corpus(800, 1), heldOut = Corpus(200, 2);
        Vocabulary vocabulary = Vocabulary.Build(train, 100);
        using var trainer = new ElmoPretrainer(Tiny, vocabulary, new PretrainOptions { BatchSize = 8, UnrollSteps = 10, Seed = 3, LearningRate = 1.0, SoftmaxSamples = 6 });
        Assert.True(trainer.UsesSampledSoftmax);
        trainer.Train(train, steps: 600);
        double after = trainer.Perplexity(heldOut), unigram = ElmoPretrainer.UnigramPerplexity(train, heldOut, vocabulary);
        output.WriteLine($"sampled softmax (6 of {vocabulary.Count}): held-out perplexity {after:F2}, unigram {unigram:F2}");
        Assert.True(after < 0.7 * unigram, $"trained perplexity {after:F2} is not clearly below the unigram {unigram:F2}");
    }

    [Fact]
    public void ResumingACheckpointContinuesExactlyAsAnUninterruptedRun()
    {
        List<string[]> train = Corpus(300, 1);
        Vocabulary vocabulary = Vocabulary.Build(train, 100);
        // Dropout draws from the global generator, which a checkpoint does not hold; sampling is seeded by step.
        var settings = new PretrainOptions { BatchSize = 4, UnrollSteps = 6, Seed = 5, Dropout = 0, SoftmaxSamples = 8 };
        using var uninterrupted = new ElmoPretrainer(Tiny, vocabulary, settings);
        uninterrupted.Train(train, new PretrainSchedule { MaxSteps = 24 });

        string checkpoint = Path.Combine(dir, "checkpoint");
        using (var first = new ElmoPretrainer(Tiny, vocabulary, settings))
            first.Train(train, new PretrainSchedule { MaxSteps = 13, CheckpointDirectory = checkpoint });
        using var resumed = ElmoPretrainer.Resume(checkpoint);
        Assert.Equal(13, resumed.Step);
        Assert.Equal(13L * 4 * 6, resumed.Tokens);
        resumed.Train(train, new PretrainSchedule { MaxSteps = 24 });

        Assert.Equal(24, resumed.Step);
        string[][] probe = [["the", "cat", "likes", "green", "tea"]];
        uninterrupted.Model.ResetStates();
        resumed.Model.ResetStates();
        using ElmoEmbeddings a = uninterrupted.Model.Embed(probe), b = resumed.Model.Embed(probe);
        Assert.Equal(a.Layers.data<float>().ToArray(), b.Layers.data<float>().ToArray());
    }

    [Fact]
    public void TokenBudgetStopsTrainingAndCancellationLeavesACheckpoint()
    {
        List<string[]> train = Corpus(300, 1);
        var settings = new PretrainOptions { BatchSize = 4, UnrollSteps = 5 };
        using var trainer = new ElmoPretrainer(Tiny, Vocabulary.Build(train, 50), settings);
        PretrainStep last = trainer.Train(train, new PretrainSchedule { MaxTokens = 7 * 4 * 5 });
        Assert.Equal(7, last.Step);
        Assert.Throws<ArgumentException>(() => trainer.Train(train, new PretrainSchedule()));

        string checkpoint = Path.Combine(dir, "cancelled");
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress<PretrainStep>(s => { if (s.Step == 10) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => trainer.Train(train, new PretrainSchedule { MaxSteps = 1000, CheckpointDirectory = checkpoint }, progress, cancel.Token));
        using var resumed = ElmoPretrainer.Resume(checkpoint);
        Assert.Equal(10, resumed.Step);
        Assert.False(Directory.Exists(checkpoint + ".partial"));
    }

    [Fact]
    public void DropoutActsOnlyInTraining()
    {
        List<string[]> train = Corpus(300, 1), heldOut = Corpus(100, 2);
        Vocabulary vocabulary = Vocabulary.Build(train, 50);
        var settings = new PretrainOptions { BatchSize = 4, UnrollSteps = 5, Dropout = 0.5 };
        using var trainer = new ElmoPretrainer(Tiny, vocabulary, settings);
        using var withoutDropout = new ElmoPretrainer(Tiny, vocabulary, settings with { Dropout = 0 });
        // The same seed gives the same weights: evaluation does not see the dropout setting...
        Assert.Equal(withoutDropout.Perplexity(heldOut), trainer.Perplexity(heldOut));
        // ...and a training step does: on the same weights and window, dropout changes the loss.
        double lossWith = trainer.Train(train, steps: 1).Loss, lossWithout = withoutDropout.Train(train, steps: 1).Loss;
        output.WriteLine($"first step's loss: {lossWith:F4} with dropout 0.5, {lossWithout:F4} without");
        Assert.NotEqual(lossWithout, lossWith);

        trainer.Train(train, steps: 4);
        Assert.Equal(trainer.Perplexity(heldOut), trainer.Perplexity(heldOut));
        string[][] probe = [["a", "dog", "sees", "green", "tea"]];
        trainer.Model.ResetStates();
        using ElmoEmbeddings a = trainer.Model.Embed(probe);
        trainer.Model.ResetStates();
        using ElmoEmbeddings b = trainer.Model.Embed(probe);
        Assert.Equal(a.Layers.data<float>().ToArray(), b.Layers.data<float>().ToArray());
    }

    [Fact]
    public void ResumingWhereThereIsNoCheckpointIsAClearError()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => ElmoPretrainer.Resume(Path.Combine(dir, "nothing-here")));
        Assert.Contains("no complete pretraining checkpoint", ex.Message);
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
