using System.CommandLine;
using System.Text.Json;
using ElmoCli;
using ElmoCli.Sentiment;
using ElmoKeras.Tests.Data;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Cli;

/// <summary>The recipe end to end through the CLI, on the shared IMDB archive and the tiny ELMo fixture.</summary>
public sealed class SentimentCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-sentiment-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(SentimentCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["sentiment", .. args], error);
        return (code, error.ToString());
    }

    private string[] Common(string output) =>
        ["--data", SharedData.RequireImdbArchive(), "--elmo-options", Fixtures.ElmoOptions, "--elmo-weights", Fixtures.ElmoWeights, "--output-dir", output];

    [Fact]
    public async Task RecipeWritesWeightsHistoryAndPlot()
    {
        string output = Path.Combine(dir, "run");
        var (code, error) = await Run([.. Common(output), "--limit", "2000", "--epochs", "2"]);
        Assert.True(code == 0, error);
        Assert.True(new FileInfo(Path.Combine(output, SentimentJob.WeightsFile)).Length > 0);
        byte[] png = File.ReadAllBytes(Path.Combine(output, SentimentJob.PlotFile));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        using var history = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, SentimentJob.HistoryFile)));
        Assert.Equal(2, history.RootElement.GetProperty("epochs").GetInt32());
        Assert.Equal(2, history.RootElement.GetProperty("history").GetProperty("val_accuracy").GetArrayLength());
        Assert.InRange(history.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Empty(Directory.GetFiles(output, "*.tmp*"));
    }

    [Theory]
    [InlineData("--trainable", "all")]
    [InlineData("--output", "sequence")]
    [InlineData("--trainable", "none")]
    public async Task VariantsRun(string option, string value)
    {
        string output = Path.Combine(dir, value);
        var (code, error) = await Run([.. Common(output), "--limit", "200", "--epochs", "1", option, value]);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(output, SentimentJob.WeightsFile)));
    }

    [Fact]
    public async Task BatchNormHeadAndSeparateTestLimit()
    {
        string output = Path.Combine(dir, "batch-norm");
        var (code, error) = await Run([.. Common(output), "--limit", "200", "--test-limit", "120", "--epochs", "1", "--batch-norm"]);
        Assert.True(code == 0, error);
        using (var history = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, SentimentJob.HistoryFile))))
        {
            Assert.Equal(200, history.RootElement.GetProperty("trainExamples").GetInt32());
            Assert.Equal(120, history.RootElement.GetProperty("testExamples").GetInt32());
            Assert.True(history.RootElement.GetProperty("batchNorm").GetBoolean());
        }
        using var weights = ElmoKeras.Weights.Hdf5WeightSource.Open(Path.Combine(output, SentimentJob.WeightsFile));
        Assert.Contains(weights.Names, n => n.EndsWith("moving_variance", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HalfGivenElmoFilesSayWhatToPass()
    {
        var (code, error) = await Run("--data", Path.Combine(dir, "none.tar.gz"), "--output-dir", dir, "--elmo-weights", Fixtures.ElmoWeights);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("--elmo-options and --elmo-weights go together: pass both files", error);
    }

    [Fact]
    public async Task MissingDataIsAClearError()
    {
        var (code, error) = await Run("--data", Path.Combine(dir, "none.tar.gz"), "--elmo-options", Fixtures.ElmoOptions, "--elmo-weights", Fixtures.ElmoWeights, "--output-dir", dir);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("none.tar.gz", error);
    }
}

public sealed class SentimentCancellationTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-cancel-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Cancels (as Ctrl+C does) as soon as the second epoch starts.</summary>
    private sealed class CancelOnSecondEpoch(CancellationTokenSource source) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.StartsWith("Epoch 2/", StringComparison.Ordinal) == true) source.Cancel();
        }
    }

    [Fact]
    public async Task CancellingSavesWhatWasTrained()
    {
        string archive = SharedData.RequireImdbArchive();
        using var elmo = ElmoKeras.Elmo.ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var cancel = new CancellationTokenSource();
        var output = new CancelOnSecondEpoch(cancel);
        var settings = new SentimentSettings(archive, dir, Epochs: 3, Limit: 100);
        SentimentResult result = await new SentimentJob(elmo, settings, output).RunAsync(cancel.Token);
        Assert.True(result.Cancelled);
        Assert.Single(result.History.Epochs);
        Assert.True(File.Exists(Path.Combine(dir, SentimentJob.WeightsFile)));
        Assert.True(File.Exists(Path.Combine(dir, SentimentJob.PlotFile)));
        using var history = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SentimentJob.HistoryFile)));
        Assert.True(history.RootElement.GetProperty("cancelled").GetBoolean());
        Assert.Equal(1, history.RootElement.GetProperty("epochs").GetInt32());
        Assert.Contains("Cancelled after 1 complete epoch(s); saving what was trained.", output.ToString());
    }
}
