using System.CommandLine;
using System.Text.Json;
using ElmoCli;
using ElmoCli.Pretrain;
using ElmoCli.Sentiment;
using ElmoKeras.Tests.Data;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Cli;

public sealed class PretrainCommandTests(ITestOutputHelper log) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-pretrain-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task PretrainedModelFeedsTheSentimentRecipe()
    {
        var random = new Random(1);
        string[] words = ["good", "bad", "film", "plot", "actor", "boring", "great", "the", "a", "was"];
        string corpus = Path.Combine(dir, "corpus.txt");
        File.WriteAllLines(corpus, Enumerable.Range(0, 400).Select(_ => string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[random.Next(words.Length)]))));
        string model = Path.Combine(dir, "model");
        var root = new RootCommand();
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(SentimentCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["pretrain", "--corpus", corpus, "--output-dir", model, "--options-file", Fixtures.ElmoOptions,
            "--steps", "40", "--batch-size", "4", "--unroll-steps", "10", "--vocab-size", "20", "--learning-rate", "1"], error);
        Assert.True(code == 0, error.ToString());
        foreach (string file in new[] { "options.json", "weights.hdf5", "vocab.txt", "pretrain.json" }) Assert.True(File.Exists(Path.Combine(model, file)), file);
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "pretrain.json"))))
        {
            // The words are drawn independently, so the unigram model is about the best there is. 40 steps learn
            // much of it: the held-out perplexity (measured 12.42) is at least 40% of the way from the uniform
            // distribution's (the vocabulary size, 13) to the unigram baseline's (11.99).
            double perplexity = report.RootElement.GetProperty("heldOutPerplexity").GetDouble();
            double unigram = report.RootElement.GetProperty("unigramPerplexity").GetDouble();
            int vocabulary = report.RootElement.GetProperty("vocabulary").GetInt32();
            log.WriteLine($"held-out perplexity {perplexity:F2}, uniform {vocabulary}, unigram {unigram:F2}");
            Assert.Equal(13, vocabulary); // the 10 words and the 3 special tokens
            Assert.True(unigram < vocabulary);
            Assert.True(perplexity < vocabulary - 0.4 * (vocabulary - unigram), $"held-out perplexity {perplexity:F2} is not 40% of the way from the uniform {vocabulary} to the unigram {unigram:F2}");
        }

        code = await CommandRunner.InvokeAsync(root, ["sentiment", "--data", SharedData.RequireImdbArchive(), "--elmo", model, "--limit", "100", "--epochs", "1",
            "--output-dir", Path.Combine(dir, "sentiment")], error);
        Assert.True(code == 0, error.ToString());
        Assert.True(File.Exists(Path.Combine(dir, "sentiment", SentimentJob.WeightsFile)));
    }

    [Fact]
    public async Task ImdbArchiveCorpusUsesTheUnlabelledReviews()
    {
        string model = Path.Combine(dir, "imdb-model");
        var root = new RootCommand();
        root.Subcommands.Add(PretrainCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["pretrain", "--corpus", SharedData.RequireImdbArchive(), "--output-dir", model, "--options-file", Fixtures.ElmoOptions,
            "--steps", "2", "--batch-size", "2", "--unroll-steps", "5", "--vocab-size", "50"], error);
        Assert.True(code == 0, error.ToString());
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "pretrain.json")));
        // 50,000 unsup reviews, 2% held out.
        Assert.Equal(49_000, report.RootElement.GetProperty("trainSentences").GetInt32());
    }

    [Fact]
    public async Task ResumeContinuesFromTheCheckpointToTheTotalStepCount()
    {
        var random = new Random(2);
        string[] words = ["good", "bad", "film", "plot", "actor", "the", "a", "was"];
        string corpus = Path.Combine(dir, "corpus.txt");
        File.WriteAllLines(corpus, Enumerable.Range(0, 300).Select(_ => string.Join(' ', Enumerable.Range(0, 6).Select(_ => words[random.Next(words.Length)]))));
        string model = Path.Combine(dir, "resumed");
        var root = new RootCommand();
        root.Subcommands.Add(PretrainCommand.Create());
        var error = new StringWriter();
        string[] common = ["pretrain", "--corpus", corpus, "--output-dir", model, "--batch-size", "4", "--unroll-steps", "5"];
        int code = await CommandRunner.InvokeAsync(root, [.. common, "--options-file", Fixtures.ElmoOptions, "--steps", "6", "--vocab-size", "12"], error);
        Assert.True(code == 0, error.ToString());
        Assert.True(File.Exists(Path.Combine(model, "checkpoint", "checkpoint.json")));

        code = await CommandRunner.InvokeAsync(root, [.. common, "--resume", "--steps", "15"], error);
        Assert.True(code == 0, error.ToString());
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "pretrain.json")));
        Assert.Equal(15, report.RootElement.GetProperty("steps").GetInt32());
        Assert.Equal(15L * 4 * 5, report.RootElement.GetProperty("tokens").GetInt64());
        Assert.Equal(11, report.RootElement.GetProperty("vocabulary").GetInt32()); // 8 words and the 3 special tokens, from the checkpoint

        // Resuming a run that already reached its total trains nothing and still reports.
        code = await CommandRunner.InvokeAsync(root, [.. common, "--resume", "--steps", "15"], error);
        Assert.True(code == 0, error.ToString());
    }

    [Fact]
    public async Task MissingCorpusIsAClearError()
    {
        var root = new RootCommand();
        root.Subcommands.Add(PretrainCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["pretrain", "--corpus", Path.Combine(dir, "none.txt"), "--output-dir", dir], error);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("--corpus", error.ToString());
        Assert.Contains("does not exist", error.ToString());
    }
}
