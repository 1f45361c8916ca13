using System.CommandLine;
using ElmoCli;
using ElmoCli.Baseline;
using ElmoCli.Bench;
using ElmoCli.Embed;
using ElmoCli.Pretrain;
using ElmoCli.RandomModel;
using ElmoCli.Sentiment;
using ElmoKeras.Tests.Data;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Cli;

/// <summary>Options shared by several commands are checked the same way in each, before any work starts.</summary>
public sealed class CommonOptionsTests
{
    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var root = new RootCommand();
        foreach (Command command in new[] { SentimentCommand.Create(), BaselineCommand.Create(), BenchCommand.Create(), EmbedCommand.Create(), PretrainCommand.Create(), RandomModelCommand.Create() })
            root.Subcommands.Add(command);
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    [Theory]
    [InlineData("sentiment", "--batch-size", "0")]
    [InlineData("baseline", "--batch-size", "-3")]
    [InlineData("pretrain", "--batch-size", "0")]
    [InlineData("bench", "--batch-size", "0")]
    [InlineData("embed", "--batch-size", "0")]
    [InlineData("sentiment", "--epochs", "0")]
    [InlineData("baseline", "--max-words", "0")]
    [InlineData("sentiment", "--limit", "-1")]
    [InlineData("bench", "--threads", "0")]
    [InlineData("pretrain", "--threads", "0")]
    [InlineData("embed", "--checkpoint-lines", "0")]
    public async Task EachCheckNamesItsOptionAndTheValueReceived(string command, string option, string value)
    {
        string[] required = command switch
        {
            "embed" => ["in.txt", "out.h5", "--top"],
            "pretrain" => ["--corpus", "c.txt", "--output-dir", "o"],
            _ => [],
        };
        var (code, error) = await Run([command, .. required, option, value]);
        Assert.NotEqual(0, code);
        Assert.Contains($"{option} must be positive, got {value}", error);
    }

    [Theory]
    [InlineData("random-model", "--arch", "huge")]
    [InlineData("pretrain", "--arch", "tiny")]
    public async Task ArchitectureNamesAreCheckedByTheParser(string command, string option, string value)
    {
        string[] required = command == "pretrain" ? ["--corpus", "c.txt", "--output-dir", "o"] : ["--output-dir", "o"];
        var (code, error) = await Run([command, .. required, option, value]);
        Assert.NotEqual(0, code);
        Assert.Contains(value, error);
        Assert.Contains("small", error);
    }

    [Fact]
    public async Task BenchTakesTheImdbArchiveAsWellAsItsFolder()
    {
        string archive = SharedData.RequireImdbArchive();
        // The archive is extracted into the user's cache once (the baseline and sentiment tests share it); --n 4 keeps the run short.
        var (code, error) = await Run("bench", "--imdb", archive, "--n", "4", "--max-tokens", "8", "--threads", "1",
            "--options-file", Fixtures.ElmoOptions, "--weight-file", Fixtures.ElmoWeights);
        Assert.True(code == 0, error);
    }
}
