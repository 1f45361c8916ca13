using System.Diagnostics;
using System.Globalization;
using ElmoKeras.EmbeddingFiles;

namespace ElmoKeras.Tests.Cli;

public sealed class EmbedFlatLayoutTests : IDisposable
{
    private readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    private static float MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
    }

    [Theory]
    [InlineData("--all")]
    [InlineData("--top")]
    [InlineData("--average")]
    public async Task FlatLayoutHoldsTheSameVectorsAsThePerSentenceLayout(string layers)
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(23));
        string perSentence = cli.Path("per.hdf5"), flat = cli.Path("flat.h5");
        Assert.Equal(0, (await cli.Embed(input, perSentence, layers, "--batch-size", "4")).Code);
        var (code, error) = await cli.Embed(input, flat, layers, "--layout", "flat", "--batch-size", "3", "--checkpoint-lines", "7");
        Assert.True(code == 0, error);

        using EmbeddingFile expected = EmbeddingFile.Open(perSentence), actual = EmbeddingFile.Open(flat);
        Assert.Equal(EmbeddingLayout.PerSentence, expected.Layout);
        Assert.Equal(EmbeddingLayout.Flat, actual.Layout);
        Assert.Equal(23, actual.Count);
        for (int i = 0; i < 23; i++)
        {
            SentenceVectors e = expected.Read(i), a = actual.Read(i);
            Assert.Equal(e.Shape, a.Shape);
            Assert.True(MaxDiff(e.Values, a.Values) < 1e-5f, $"sentence {i}");
        }
        EmbeddingMetadata metadata = actual.Metadata!;
        Assert.Equal(layers.TrimStart('-'), metadata.Layers);
        Assert.Equal((0L, 23L, 1), (metadata.FirstLine, metadata.Sentences, metadata.ShardCount));
        Assert.Equal(64, metadata.InputSha256.Length);
        Assert.Equal(64, metadata.WeightsSha256.Length);
        Assert.Contains("\"projection_dim\"", metadata.Options);
        // The checkpoints (parts of 7 lines) are joined into the output and deleted.
        Assert.Equal(["flat.h5", "input.txt", "per.hdf5"], cli.Listing());
    }

    [Fact]
    public async Task Float16StorageIsWithinHalfPrecision()
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(6));
        Assert.Equal(0, (await cli.Embed(input, cli.Path("f32.h5"), "--all", "--layout", "flat")).Code);
        Assert.Equal(0, (await cli.Embed(input, cli.Path("f16.h5"), "--all", "--layout", "flat", "--float16")).Code);
        using EmbeddingFile f32 = EmbeddingFile.Open(cli.Path("f32.h5")), f16 = EmbeddingFile.Open(cli.Path("f16.h5"));
        Assert.Equal("float16", f16.Metadata!.StorageType);
        Assert.True(new FileInfo(cli.Path("f16.h5")).Length < 0.6 * new FileInfo(cli.Path("f32.h5")).Length);
        for (int i = 0; i < 6; i++)
        {
            float[] a = f32.Read(i).Values, b = f16.Read(i).Values;
            float worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second) / Math.Max(Math.Abs(p.First), 1f));
            Assert.True(worst < 1e-3f, $"sentence {i}: relative error {worst}");
            Assert.True(MaxDiff(a, b) > 0, "float16 rounds some value");
        }
    }

    [Fact]
    public async Task H5dumpSeesTheSameNumbersAsTheReader()
    {
        string? h5dump = new[] { "/usr/bin/h5dump", "/usr/local/bin/h5dump" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(h5dump is null, "h5dump (Debian package hdf5-tools) is not installed; .ci/run installs it.");
        string output = cli.Path("flat.h5");
        Assert.Equal(0, (await cli.Embed(cli.WriteInput(CliHarness.FixtureLines(5)), output, "--all", "--layout", "flat")).Code);
        using EmbeddingFile file = EmbeddingFile.Open(output);

        // What h5py's f["offsets"][i:i+2] and f["embeddings"][o[i]:o[i+1]] read, via the HDF5 tools.
        long[] offsets = Numbers(await Dump(h5dump!, "-d", "offsets", output)).Select(v => (long)v).ToArray();
        Assert.Equal(6, offsets.Length);
        SentenceVectors third = file.Read(2);
        int tokens = (int)(offsets[3] - offsets[2]);
        Assert.Equal(third.Tokens, tokens);
        double[] dumped = Numbers(await Dump(h5dump!, "-d", "embeddings", "-s", $"{offsets[2]},0,0", "-c", $"{tokens},3,32", output));
        Assert.Equal(tokens * 3 * 32, dumped.Length);
        // Stored token-major [tokens, layers, width]; the reader gives [layers, tokens, width].
        for (int t = 0; t < tokens; t++)
            for (int l = 0; l < 3; l++)
                for (int w = 0; w < 32; w++)
                {
                    // h5dump prints 6 significant digits.
                    double expected = third.Values[(l * tokens + t) * 32 + w], actual = dumped[(t * 3 + l) * 32 + w];
                    Assert.True(Math.Abs(expected - actual) <= 5e-6 * Math.Max(1, Math.Abs(expected)), $"token {t} layer {l} [{w}]: {expected} vs {actual}");
                }
        string header = await Dump(h5dump!, "-A", "-H", output);
        Assert.Contains("ATTRIBUTE \"input_sha256\"", header);
        Assert.Contains("ATTRIBUTE \"weights_sha256\"", header);
        Assert.Contains("CHUNKED", await Dump(h5dump!, "-p", "-H", output));
    }

    private static async Task<string> Dump(string h5dump, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(h5dump, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string text = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"h5dump {string.Join(' ', args)} failed");
        return text;
    }

    /// <summary>The values of h5dump's DATA block ("(i,j,k): a, b, c, ...").</summary>
    private static double[] Numbers(string dump)
    {
        string data = dump[(dump.IndexOf("DATA {", StringComparison.Ordinal) + 6)..];
        return data.Split('\n')
            .Select(line => line.Contains(':') ? line[(line.IndexOf(':') + 1)..] : "")
            .SelectMany(rest => rest.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(v => v.Length > 0)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    [Fact]
    public async Task ACompleteOutputIsSkippedAndAForeignOneIsNotOverwritten()
    {
        string output = cli.Path("out.h5");
        string input = cli.WriteInput(CliHarness.FixtureLines(4));
        Assert.Equal(0, (await cli.Embed(input, output, "--top", "--layout", "flat")).Code);
        DateTime written = File.GetLastWriteTimeUtc(output);
        byte[] before = File.ReadAllBytes(output);

        var (code, error) = await cli.Embed(input, output, "--top", "--layout", "flat");
        Assert.Equal(0, code);
        Assert.Contains("already complete", error);
        Assert.Equal(written, File.GetLastWriteTimeUtc(output));

        string other = cli.WriteInput(CliHarness.FixtureLines(5), "other.txt");
        (code, error) = await cli.Embed(other, output, "--top", "--layout", "flat");
        Assert.Equal(1, code);
        Assert.Contains("out.h5 exists from another run and is not overwritten", error);
        Assert.Contains("input_sha256", error);
        (code, error) = await cli.Embed(input, output, "--average", "--layout", "flat");
        Assert.Equal(1, code);
        Assert.Contains("layers: top vs average", error);
        Assert.Equal(before, File.ReadAllBytes(output));
        Assert.Equal(["input.txt", "other.txt", "out.h5"], cli.Listing());
    }
}
