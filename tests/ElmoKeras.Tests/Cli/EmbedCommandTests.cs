using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ElmoCli;
using ElmoCli.Embed;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;
using PureHDF;

namespace ElmoKeras.Tests.Cli;

public sealed class EmbedCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-embed-").FullName;
    private readonly string[][] columns = Fixtures.ReadSentences();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private async Task<(int Code, string Error)> Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(EmbedCommand.Create());
        var error = new StringWriter();
        string[] model = ["--options-file", Fixtures.ElmoOptions, "--weight-file", Fixtures.ElmoWeights];
        int code = await CommandRunner.InvokeAsync(root, ["embed", .. args, .. model], error);
        return (code, error.ToString());
    }

    private string WriteInput(IEnumerable<string> lines)
    {
        string path = Path.Combine(dir, "input.txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static float MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
    }

    [Fact]
    public async Task AllLayersEqualTheLibrarysVectors()
    {
        string[] lines = columns[0].Concat(columns[1]).Take(12).Append("ünïcödé tokens , too").ToArray();
        string output = Path.Combine(dir, "out.hdf5");
        var (code, error) = await Run(WriteInput(lines), output, "--all", "--batch-size", "5");
        Assert.True(code == 0, error);

        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var file = H5File.OpenRead(output);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] tokens = lines[i].Split(' ');
            using ElmoEmbeddings expected = elmo.Embed([tokens]);
            var dataset = file.Dataset(i.ToString());
            Assert.Equal(new ulong[] { 3, (ulong)tokens.Length, 32 }, dataset.Space.Dimensions);
            float[] actual = dataset.Read<float[]>();
            Assert.True(MaxDiff(expected.GetSentence(0).Cast<float>().ToArray(), actual) < 1e-5f, $"line {i}");
        }
        var index = JsonSerializer.Deserialize<Dictionary<string, string>>(file.Dataset("sentence_to_index").Read<string[]>()[0])!;
        Assert.Equal(lines.Length, index.Count);
        Assert.Equal("12", index["ünïcödé tokens , too"]);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public async Task ATokenBudgetBatchesDifferentlyButGivesTheLibrarysVectors()
    {
        string[] lines = columns.SelectMany(c => c).ToArray();
        string output = Path.Combine(dir, "budget.hdf5");
        var (code, error) = await Run(WriteInput(lines), output, "--top", "--max-batch-tokens", "24");
        Assert.True(code == 0, error);
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var file = H5File.OpenRead(output);
        for (int i = 0; i < lines.Length; i++)
        {
            using ElmoEmbeddings expected = elmo.Embed([lines[i].Split(' ')]);
            float[,,] all = expected.GetSentence(0);
            float[] top = Enumerable.Range(0, all.GetLength(1)).SelectMany(t => Enumerable.Range(0, all.GetLength(2)).Select(d => all[2, t, d])).ToArray();
            Assert.True(MaxDiff(top, file.Dataset(i.ToString()).Read<float[]>()) < 1e-5f, $"line {i}");
        }
        (code, error) = await Run(WriteInput(lines), output, "--top", "--max-batch-tokens", "0");
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("--max-batch-tokens must be positive, got 0", error);
    }

    [Fact]
    public void TheBatcherKeepsBatchesWithinTheTokenBudgetAndTheSentenceCap()
    {
        int[] lengths = [3, 9, 1, 12, 4, 4, 7, 2];
        Sentence[] window = lengths.Select((n, i) => new Sentence(i, "", Enumerable.Repeat("w", n).ToArray())).ToArray();
        int[][] byBudget = SentenceBatcher.Batches(window, batchSize: 3, maxBatchTokens: 12, keepOrder: false).ToArray();
        Assert.Equal(Enumerable.Range(0, lengths.Length), byBudget.SelectMany(b => b).Order());
        Assert.All(byBudget, b => Assert.True(b.Length <= 3 && (b.Length * b.Max(i => lengths[i]) <= 12 || b.Length == 1)));
        // Stateful runs keep file order and batch by count.
        Assert.Equal([[0, 1, 2], [3, 4, 5], [6, 7]], SentenceBatcher.Batches(window, batchSize: 3, maxBatchTokens: 12, keepOrder: true));
    }

    [Fact]
    public async Task TopAndAverageAreDerivedFromAllLayers()
    {
        string input = WriteInput(columns[2].Take(4));
        string all = Path.Combine(dir, "all.hdf5"), top = Path.Combine(dir, "top.hdf5"), average = Path.Combine(dir, "avg.hdf5");
        Assert.Equal(0, (await Run(input, all, "--all")).Code);
        Assert.Equal(0, (await Run(input, top, "--top", "--forget-sentences")).Code);
        Assert.Equal(0, (await Run(input, average, "--average")).Code);
        using var fAll = H5File.OpenRead(all);
        using var fTop = H5File.OpenRead(top);
        using var fAvg = H5File.OpenRead(average);
        Assert.False(fTop.LinkExists("sentence_to_index"));
        for (int i = 0; i < 4; i++)
        {
            float[] layers = fAll.Dataset($"{i}").Read<float[]>();
            int per = layers.Length / 3;
            float[] topValues = fTop.Dataset($"{i}").Read<float[]>();
            float[] avgValues = fAvg.Dataset($"{i}").Read<float[]>();
            Assert.Equal(2, fTop.Dataset($"{i}").Space.Dimensions.Length);
            Assert.True(MaxDiff(layers[(2 * per)..], topValues) == 0);
            float[] mean = Enumerable.Range(0, per).Select(j => (layers[j] + layers[per + j] + layers[2 * per + j]) / 3).ToArray();
            Assert.True(MaxDiff(mean, avgValues) < 1e-6f);
        }
    }

    [Fact]
    public async Task StatefulRunInFileOrderReproducesBilmTf()
    {
        // The reference batches are (sentences[0][i], sentences[1][i], sentences[2][i]) in order.
        string[] lines = Enumerable.Range(0, 10).SelectMany(i => new[] { columns[0][i], columns[1][i], columns[2][i] }).ToArray();
        string output = Path.Combine(dir, "stateful.hdf5");
        var (code, error) = await Run(WriteInput(lines), output, "--top", "--stateful", "--batch-size", "3");
        Assert.True(code == 0, error);
        using var file = H5File.OpenRead(output);
        float worst = 0;
        for (int k = 0; k < 3; k++)
        {
            using var reference = Hdf5WeightSource.Open(Fixtures.ElmoReference(k));
            for (int i = 0; i < 10; i++)
            {
                WeightArray expected = reference.Read(i.ToString()); // [2, n, 16]
                int n = (int)expected.Shape[1];
                float[] actual = file.Dataset((3 * i + k).ToString()).Read<float[]>(); // [n, 32]
                for (int t = 0; t < n; t++)
                    for (int j = 0; j < 32; j++)
                        worst = Math.Max(worst, Math.Abs(actual[t * 32 + j] - expected.Data[((j / 16) * n + t) * 16 + j % 16]));
            }
        }
        Assert.True(worst <= 1e-5f, $"max |diff| {worst:E2}");
    }

    [Fact]
    public async Task SentenceKeysNameTheDatasets()
    {
        string output = Path.Combine(dir, "keys.hdf5");
        Assert.Equal(0, (await Run(WriteInput(["a b c", "d e"]), output, "--top", "--use-sentence-keys")).Code);
        using var file = H5File.OpenRead(output);
        Assert.Equal(new ulong[] { 3, 32 }, file.Dataset("a b c").Space.Dimensions);
        Assert.Equal(new ulong[] { 2, 32 }, file.Dataset("d e").Space.Dimensions);
    }

    [Theory]
    [InlineData(new[] { "one line", "", "three" }, "input.txt:2: empty line")]
    [InlineData(new[] { "same", "other", "same" }, "input.txt:3: repeats line 1")]
    [InlineData(new[] { "a/b" }, "input.txt:1: the sentence cannot be an HDF5 dataset name")]
    public async Task BadInputNamesTheLineAndWritesNothing(string[] lines, string expected)
    {
        string output = Path.Combine(dir, "bad.hdf5");
        var (code, error) = await Run(WriteInput(lines), output, "--all", "--use-sentence-keys");
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains(expected, error);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public async Task InvalidUtf8IsRejectedWithTheLine()
    {
        string input = Path.Combine(dir, "input.txt");
        File.WriteAllBytes(input, [.. "fine\n"u8.ToArray(), 0x61, 0xff, 0x62, 0x0a]);
        var (code, error) = await Run(input, Path.Combine(dir, "o.hdf5"), "--top");
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("not valid UTF-8", error);
    }

    [Fact]
    public async Task MissingModelFileIsAClearError()
    {
        var root = new RootCommand();
        root.Subcommands.Add(EmbedCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["embed", WriteInput(["x"]), Path.Combine(dir, "o.hdf5"), "--top",
            "--options-file", Fixtures.ElmoOptions, "--weight-file", Path.Combine(dir, "missing.hdf5")], error);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("missing.hdf5", error.ToString());
        Assert.Contains("does not exist", error.ToString());
    }

    [Fact]
    public async Task OutputIsReadableByTheHdf5ReferenceTools()
    {
        string? h5dump = new[] { "/usr/bin/h5dump", "/usr/local/bin/h5dump" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(h5dump is null, "h5dump (Debian package hdf5-tools) is not installed; .ci/run installs it.");
        string output = Path.Combine(dir, "out.hdf5");
        Assert.Equal(0, (await Run(WriteInput(["a b c", "d"]), output, "--all")).Code);
        using var process = Process.Start(new ProcessStartInfo(h5dump!, ["-H", output]) { RedirectStandardOutput = true })!;
        string header = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("DATASET \"0\"", header);
        Assert.Contains("H5T_IEEE_F32LE", header);
        Assert.Contains("( 3, 3, 32 )", header);
        Assert.Contains("( 3, 1, 32 )", header);
        Assert.Contains("DATASET \"sentence_to_index\"", header);
    }

    [Fact]
    public async Task NoModelSaysWhatToPass()
    {
        var root = new RootCommand();
        root.Subcommands.Add(EmbedCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["embed", WriteInput(["x"]), Path.Combine(dir, "o.hdf5"), "--top"], error);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("No ELMo given: pass --elmo HANDLE", error.ToString());
        Assert.Contains("--options-file FILE --weight-file FILE", error.ToString());
    }
}
