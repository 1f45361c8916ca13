using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using ElmoCli;
using ElmoCli.Embed;
using ElmoKeras.Tests.TestSupport;
using PureHDF;

namespace ElmoKeras.Tests.Cli;

/// <summary>Issue 12, defect 8 and the CLI's integrity option: hostile input gives one clear error line.</summary>
public sealed class EmbedInputTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-embed-input-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private async Task<(int Code, string Error)> Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(EmbedCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["embed", .. args], error);
        return (code, error.ToString());
    }

    private string[] Model => ["--options-file", Fixtures.ElmoOptions, "--weight-file", Fixtures.ElmoWeights];

    [Fact]
    public async Task VeryLongSentenceKeyIsAFormatErrorNamingTheLine()
    {
        string input = Path.Combine(dir, "input.txt");
        File.WriteAllLines(input, ["a short line", string.Join(' ', Enumerable.Repeat("word", 20_000))]);
        string output = Path.Combine(dir, "out.hdf5");
        var (code, error) = await Run([input, output, "--top", "--use-sentence-keys", .. Model]);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains($"{input}:2: the sentence is 99999 bytes long", error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void TheLongestAcceptedKeyIsOneTheHdf5WriterTakes()
    {
        string path = Path.Combine(dir, "long-name.h5");
        var file = new H5File { [new string('k', PerSentenceEmbedJob.MaxKeyBytes)] = new H5Dataset(new float[] { 1f }) };
        file.Write(path);
        Assert.True(new FileInfo(path).Length > PerSentenceEmbedJob.MaxKeyBytes);
    }

    [Fact]
    public async Task InvalidUtf8IsReportedOnItsOwnLine()
    {
        string input = Path.Combine(dir, "input.txt");
        var bytes = new List<byte>();
        for (int i = 1; i < 1000; i++) bytes.AddRange(Encoding.UTF8.GetBytes($"sentence number {i} with a few more words to fill buffers ünï\n"));
        bytes.AddRange([(byte)'b', (byte)'a', (byte)'d', 0xFF, (byte)'\n', (byte)'o', (byte)'k', (byte)'\n']);
        File.WriteAllBytes(input, bytes.ToArray());
        var (code, error) = await Run([input, Path.Combine(dir, "out.hdf5"), "--top", .. Model]);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains($"{input}:1000: not valid UTF-8 at byte 4 of the line", error);
    }

    [Fact]
    public async Task WeightSha256IsChecked()
    {
        string input = Path.Combine(dir, "input.txt");
        File.WriteAllLines(input, ["The cat sat ."]);
        string output = Path.Combine(dir, "out.hdf5");
        var (code, error) = await Run([input, output, "--top", "--weight-sha256", new string('0', 64), .. Model]);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("SHA-256 of", error);
        Assert.False(File.Exists(output));

        string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Fixtures.ElmoWeights)));
        (code, error) = await Run([input, output, "--top", "--weight-sha256", actual, .. Model]);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(output));
    }
}
