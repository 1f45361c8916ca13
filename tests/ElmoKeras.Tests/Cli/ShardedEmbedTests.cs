using ElmoCli.Embed;
using ElmoKeras.Elmo;
using ElmoKeras.EmbeddingFiles;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Cli;

public sealed class ShardedEmbedTests : IDisposable
{
    private readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    private static void AssertSameVectors(EmbeddingFile expected, EmbeddingFile actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (long i = 0; i < expected.Count; i++)
        {
            SentenceVectors e = expected.Read(i), a = actual.Read(i);
            Assert.Equal(e.Shape, a.Shape);
            Assert.True(e.Values.AsSpan().SequenceEqual(a.Values), $"sentence {i} differs");
        }
    }

    [Fact]
    public async Task ShardsMergeIntoTheSingleProcessOutput()
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(22));
        string single = cli.Path("single.h5"), output = cli.Path("sharded.h5");
        Assert.Equal(0, (await cli.Embed(input, single, "--all", "--layout", "flat", "--batch-size", "1")).Code);
        for (int i = 0; i < 3; i++)
        {
            var (code, error) = await cli.Embed(input, output, "--all", "--layout", "flat", "--batch-size", "1", "--shard-index", $"{i}", "--shard-count", "3", "--checkpoint-lines", "4");
            Assert.True(code == 0, error);
        }
        Assert.Equal(["input.txt", "sharded.h5.shard-0-of-3.h5", "sharded.h5.shard-1-of-3.h5", "sharded.h5.shard-2-of-3.h5", "single.h5"], cli.Listing());

        // The reader opens the shard set directly, in input order (lines 0-7, 8-15, 16-21: windows of 4).
        using (EmbeddingFile expected = EmbeddingFile.Open(single), shards = EmbeddingFile.Open(output))
            AssertSameVectors(expected, shards);
        using (EmbeddingFile shard1 = EmbeddingFile.Open(ShardFiles.ShardPath(output, 1, 3)))
            Assert.Equal((8L, 8L, 1, 3), (shard1.Metadata!.FirstLine, shard1.Metadata.Sentences, shard1.Metadata.ShardIndex, shard1.Metadata.ShardCount));

        var (mergeCode, mergeError) = await cli.Merge(output);
        Assert.True(mergeCode == 0, mergeError);
        using (EmbeddingFile expected = EmbeddingFile.Open(single), merged = EmbeddingFile.Open(output))
        {
            AssertSameVectors(expected, merged);
            Assert.Empty(expected.Metadata!.IdentityDifferences(merged.Metadata!));
            Assert.Equal((0L, 22L, 1), (merged.Metadata!.FirstLine, merged.Metadata.Sentences, merged.Metadata.ShardCount));
        }
        // Merging again finds the same result there and leaves it.
        var (again, againError) = await cli.Merge(output);
        Assert.Equal(0, again);
        Assert.Contains("already the merge of these shards", againError);
    }

    [Fact]
    public async Task ACompleteShardIsSkipped()
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(6));
        string output = cli.Path("new-folder/out.h5"); // created when missing
        Assert.Equal(0, (await cli.Embed(input, output, "--top", "--layout", "flat", "--batch-size", "1", "--shard-index", "1", "--shard-count", "2")).Code);
        string shard = ShardFiles.ShardPath(output, 1, 2);
        DateTime written = File.GetLastWriteTimeUtc(shard);
        var (code, error) = await cli.Embed(input, output, "--top", "--layout", "flat", "--batch-size", "1", "--shard-index", "1", "--shard-count", "2");
        Assert.Equal(0, code);
        Assert.Contains("already complete for this input, model and settings; skipped", error);
        Assert.Equal(written, File.GetLastWriteTimeUtc(shard));
    }

    [Fact]
    public async Task AnInterruptedRunContinuesFromItsLastCheckpoint()
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(20));
        string reference = cli.Path("reference.h5"), output = cli.Path("out.h5");
        Assert.Equal(0, (await cli.Embed(input, reference, "--all", "--layout", "flat", "--batch-size", "2")).Code);

        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var settings = new EmbedSettings(input, output, EmbedLayers.All, BatchSize: 2, Layout: EmbeddingLayout.Flat,
            CheckpointLines: 8);
        // Parts of 8 lines (windows of 2 x 4): stop the run, as a preempted task is stopped, after the first.
        using var stop = new CancellationTokenSource();
        var progress = new InlineProgress<(int Done, int Total)>(value => { if (value.Done >= 8) stop.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => new FlatEmbedJob(elmo, settings, TextWriter.Null).Run(progress, stop.Token));
        Assert.Equal(["input.txt", "out.h5.part-0.h5", "reference.h5"], cli.Listing());

        var log = new StringWriter();
        long embedded = new FlatEmbedJob(elmo, settings, log).Run(null, CancellationToken.None);
        Assert.Equal(12, embedded); // lines 8-19; lines 0-7 came from the checkpoint
        Assert.Contains("out.h5.part-0.h5: lines 0..7 were embedded by an earlier run", log.ToString());
        Assert.Equal(["input.txt", "out.h5", "reference.h5"], cli.Listing());
        using EmbeddingFile expected = EmbeddingFile.Open(reference), actual = EmbeddingFile.Open(output);
        AssertSameVectors(expected, actual);
    }

    [Fact]
    public async Task AKilledRunsTemporaryFileIsRemovedOnRestart()
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(5));
        string output = cli.Path("out.h5");
        string shard = ShardFiles.ShardPath(output, 0, 2);
        // What a SIGKILL leaves: half-written temporaries of the shard and of its checkpoint.
        File.WriteAllBytes(cli.Path($".{Path.GetFileName(shard)}.{Guid.NewGuid():N}.tmp"), [1, 2, 3]);
        File.WriteAllBytes(cli.Path($".{Path.GetFileName(shard)}.part-0.h5.{Guid.NewGuid():N}.tmp"), [1, 2, 3]);
        Assert.Equal(0, (await cli.Embed(input, output, "--top", "--layout", "flat", "--batch-size", "1", "--shard-index", "0", "--shard-count", "2")).Code);
        Assert.Equal(["input.txt", "out.h5.shard-0-of-2.h5"], cli.Listing());
    }

    [Theory]
    [InlineData("--shard-index", "4", "--shard-count", "4", "Shard index 4 (from --shard-index) is out of range for 4 shards: use 0..3")]
    [InlineData("--shard-index", "-1", "--shard-count", "2", "Shard index -1 (from --shard-index) is out of range")]
    [InlineData("--shard-index", "1", "", "", "--shard-index 1 needs --shard-count N")]
    [InlineData("--shard-index", "0", "--shard-count", "2", "Shard 0 of 2 would be empty")]
    public async Task BadShardOptionsAreClearErrors(string a, string b, string c, string d, string expected)
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(5));
        string[] args = [input, cli.Path("out.h5"), "--top", "--layout", "flat", .. new[] { a, b, c, d }.Where(s => s.Length > 0)];
        var (code, error) = await cli.Embed(args);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
        Assert.Equal(["input.txt"], cli.Listing());
    }

    [Fact]
    public async Task AShardCountThatDisagreesWithExistingShardsIsRefused()
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(6));
        string output = cli.Path("out.h5");
        Assert.Equal(0, (await cli.Embed(input, output, "--top", "--layout", "flat", "--batch-size", "1", "--shard-index", "0", "--shard-count", "2")).Code);
        var (code, error) = await cli.Embed(input, output, "--top", "--layout", "flat", "--batch-size", "1", "--shard-index", "0", "--shard-count", "3");
        Assert.Equal(1, code);
        Assert.Contains("--shard-count 3 disagrees with existing shards", error);
        Assert.Contains("out.h5.shard-0-of-2.h5", error);
        Assert.Equal(["input.txt", "out.h5.shard-0-of-2.h5"], cli.Listing());
    }

    [Fact]
    public void ShardDefaultsComeFromSlurmOrKubernetes()
    {
        var slurm = new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "2", ["SLURM_ARRAY_TASK_COUNT"] = "5" };
        Assert.Equal(new ShardChoice(2, 5), ShardChoice.Resolve(null, null, slurm.GetValueOrDefault));
        Assert.Equal(new ShardChoice(1, 5), ShardChoice.Resolve(1, null, slurm.GetValueOrDefault));
        var k8s = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "3" };
        Assert.Equal(new ShardChoice(3, 8), ShardChoice.Resolve(null, 8, k8s.GetValueOrDefault));
        var error = Assert.Throws<ArgumentException>(() => ShardChoice.Resolve(null, null, k8s.GetValueOrDefault));
        Assert.Contains("JOB_COMPLETION_INDEX 3 needs --shard-count N", error.Message);
        Assert.Null(ShardChoice.Resolve(null, null, _ => null));
        Assert.Contains("out of range for 4 shards", Assert.Throws<ArgumentException>(() =>
            ShardChoice.Resolve(null, null, new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "4", ["SLURM_ARRAY_TASK_COUNT"] = "4" }.GetValueOrDefault)).Message);
    }

    [Fact]
    public async Task MergeRefusesMissingAndForeignShards()
    {
        string input = cli.WriteInput(CliHarness.FixtureLines(9));
        string output = cli.Path("out.h5");
        for (int i = 0; i < 3; i += 2)
            Assert.Equal(0, (await cli.Embed(input, output, "--top", "--layout", "flat", "--batch-size", "1", "--shard-index", $"{i}", "--shard-count", "3")).Code);
        var (code, error) = await cli.Merge(output);
        Assert.Equal(1, code);
        Assert.Contains("missing: out.h5.shard-1-of-3.h5 (of 3)", error);

        // Shard 1 embedded from another input file of the same length is foreign.
        string other = cli.WriteInput(CliHarness.FixtureLines(10).Skip(1), "other.txt");
        string otherOutput = cli.Path("other.h5");
        Assert.Equal(0, (await cli.Embed(other, otherOutput, "--top", "--layout", "flat", "--batch-size", "1", "--shard-index", "1", "--shard-count", "3")).Code);
        File.Move(ShardFiles.ShardPath(otherOutput, 1, 3), ShardFiles.ShardPath(output, 1, 3));
        (code, error) = await cli.Merge(output);
        Assert.Equal(1, code);
        Assert.Contains("out.h5.shard-1-of-3.h5 does not belong with", error);
        Assert.Contains("out.h5.shard-0-of-3.h5: input_sha256:", error);
        Assert.False(File.Exists(output));

        // A shard of another count beside them.
        File.Copy(ShardFiles.ShardPath(output, 0, 3), ShardFiles.ShardPath(output, 0, 2));
        (code, error) = await cli.Merge(output);
        Assert.Equal(1, code);
        Assert.Contains("disagree on the shard count", error);
        Assert.DoesNotContain(cli.Listing(), name => name.EndsWith(".tmp", StringComparison.Ordinal) || name == "out.h5");
    }

    [Fact]
    public async Task ShardsNeedTheFlatLayout()
    {
        var (code, error) = await cli.Embed(cli.WriteInput(["a b"]), cli.Path("o.h5"), "--top", "--shard-index", "0", "--shard-count", "1");
        Assert.Equal(1, code);
        Assert.Contains("shards are written in the flat layout only; add --layout flat", error);
    }}
