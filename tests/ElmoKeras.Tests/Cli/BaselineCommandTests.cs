using System.CommandLine;
using System.Text.Json;
using ElmoCli;
using ElmoCli.Baseline;
using ElmoKeras.Tests.Data;

namespace ElmoKeras.Tests.Cli;

public sealed class BaselineCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-baseline-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void BagOfWordsCountsUniAndBigramsAboveTheMinimum()
    {
        BagOfWords bag = BagOfWords.Fit(["Good film, good plot.", "a good film"], maxN: 2, minCount: 2);
        // Seen twice or more: "good" (3), "film" (2), "good film" (2); ids by falling count from 1.
        Assert.Equal(4, bag.Size);
        long[,] ids = bag.Transform(["GOOD film", "nothing known"]);
        Assert.Equal(3, ids.GetLength(1));
        Assert.Equal([1L, 2, 3], new[] { ids[0, 0], ids[0, 1], ids[0, 2] });
        Assert.Equal([0L, 0, 0], new[] { ids[1, 0], ids[1, 1], ids[1, 2] });
    }

    [Fact]
    public async Task BaselineLearnsImdbSentimentFromTheFirst150Words()
    {
        var root = new RootCommand();
        root.Subcommands.Add(BaselineCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["baseline", "--data", SharedData.RequireImdbArchive(), "--limit", "2000", "--output-dir", dir], error);
        Assert.True(code == 0, error.ToString());
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "history.json")));
        double accuracy = report.RootElement.GetProperty("testAccuracy").GetDouble();
        // 2,000 reviews: about 0.79; chance is 0.5.
        Assert.True(accuracy > 0.7, $"test accuracy {accuracy:F3}");
    }
}
