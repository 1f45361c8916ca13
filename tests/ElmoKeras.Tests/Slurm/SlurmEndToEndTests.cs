using System.Diagnostics;
using ElmoKeras.EmbeddingFiles;
using ElmoKeras.Tests.Data;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Slurm;

/// <summary>
/// A real single-node Slurm (started by scripts/slurm/start-local-slurm.sh on loopback, stopped by pid)
/// runs scripts/slurm/embed-array.sbatch as a 4-task array over ~2,000 IMDB sentences; the merged
/// output must equal a single-process embed bit for bit, also after a task is cancelled mid-run and
/// the array resubmitted.
/// </summary>
public sealed class SlurmEndToEndTests : IDisposable
{
    private static readonly TimeSpan ArrayTimeout = TimeSpan.FromSeconds(240);
    private readonly TempFolder work = new("elmokeras-slurm-e2e");
    private readonly string state = Path.Combine(Path.GetTempPath(), $"elmokeras-slurm-{Guid.NewGuid():N}"[..28]);
    private readonly string repository = FindRepository();
    private string? slurmConf;

    public void Dispose()
    {
        if (slurmConf is not null)
        {
            // Whatever is still queued goes first, then the daemons this test started (by pid file).
            Shell($"scancel --user=root || true; bash {Quote(Path.Combine(repository, "scripts/slurm/stop-local-slurm.sh"))} {Quote(state)}");
        }
        work.Dispose();
        try { Directory.Delete(state, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void ShardedArrayMergesToTheSingleProcessOutputAndResumesAfterCancel()
    {
        string archive = SharedData.RequireImdbArchive();
        Assert.SkipWhen(Environment.UserName != "root" && !File.Exists("/usr/bin/sbatch"), "Slurm is not installed and installing it needs root.");
        var (startCode, startOutput) = Shell($"bash {Quote(Path.Combine(repository, "scripts/slurm/start-local-slurm.sh"))} {Quote(state)}");
        Assert.SkipWhen(startCode == 3, $"Slurm cannot be installed here: {startOutput.Trim()}");
        Assert.True(startCode == 0, $"start-local-slurm.sh failed ({startCode}):\n{startOutput}");
        slurmConf = Path.Combine(state, "slurm.conf");

        string input = work.Combine("imdb.txt");
        var (extractCode, extractOutput) = Shell(
            $"tar -xzOf {Quote(archive)} --wildcards 'aclImdb/test/pos/1*_*.txt' | sed 's/<br \\/>/ /g' | tr '.!?' '\\n\\n\\n' " +
            $"| awk 'NF>=3 && NF<=25 {{$1=$1; print}}' | head -2000 > {Quote(input)}");
        Assert.True(extractCode == 0, extractOutput);
        Assert.Equal(2000, File.ReadLines(input).Count());

        // The sbatch script runs $ELMO word-split, so it gets the command unquoted (the test's paths have no spaces).
        string elmoDll = Path.Combine(AppContext.BaseDirectory, "elmo.dll");
        Assert.DoesNotContain(' ', elmoDll);
        string elmo = $"dotnet {elmoDll}";
        string model = $"--top --options-file {Quote(Fixtures.ElmoOptions)} --weight-file {Quote(Fixtures.ElmoWeights)} --checkpoint-lines 256";
        string reference = work.Combine("single.h5");
        var (singleCode, singleOutput) = Shell($"OMP_NUM_THREADS=1 {elmo} embed {Quote(input)} {Quote(reference)} --layout flat {model}");
        Assert.True(singleCode == 0, singleOutput);

        // Round 1: the whole array, then merge.
        string output = work.Combine("sharded.h5");
        string job = Submit(elmo, input, output, model);
        WaitForArray(job);
        for (int i = 0; i < 4; i++) Assert.True(File.Exists(ShardFiles.ShardPath(output, i, 4)), $"shard {i} missing; logs:\n{Logs(job)}");
        Merge(elmo, output);
        AssertIdentical(reference, output);

        // Round 2: a fresh output; cancel task 3 once its first checkpoint (256 lines) is written, while it
        // embeds the rest; let the others finish; resubmit the whole array.
        string second = work.Combine("resumed.h5");
        string first = Submit(elmo, input, second, model);
        string task3 = $"{first}_3";
        string checkpoint = ShardFiles.ShardPath(second, 3, 4) + ".part-0.h5";
        Stopwatch clock = Stopwatch.StartNew();
        while (!File.Exists(checkpoint))
        {
            Assert.True(clock.Elapsed < ArrayTimeout && !File.Exists(ShardFiles.ShardPath(second, 3, 4)), $"task {task3} wrote no checkpoint; logs:\n{Logs(first)}");
            Thread.Sleep(20);
        }
        Assert.Equal(0, Shell($"scancel {task3}").Code);
        WaitForArray(first);
        Assert.False(File.Exists(ShardFiles.ShardPath(second, 3, 4)), $"task 3 finished before it was cancelled; logs:\n{Logs(first)}");
        DateTime[] before = Enumerable.Range(0, 3).Select(i => File.GetLastWriteTimeUtc(ShardFiles.ShardPath(second, i, 4))).ToArray();

        string again = Submit(elmo, input, second, model);
        WaitForArray(again);
        string log = Logs(again);
        for (int i = 0; i < 3; i++)
        {
            Assert.Contains($"{Path.GetFileName(ShardFiles.ShardPath(second, i, 4))} is already complete for this input, model and settings; skipped", log);
            Assert.Equal(before[i], File.GetLastWriteTimeUtc(ShardFiles.ShardPath(second, i, 4)));
        }
        Assert.True(File.Exists(ShardFiles.ShardPath(second, 3, 4)), log);
        Assert.Contains("part-0.h5: lines 1536..1791 were embedded by an earlier run; continuing after them", log);
        Merge(elmo, second);
        AssertIdentical(reference, second);
        Assert.DoesNotContain(Directory.GetFiles(work.Path), f => f.EndsWith(".tmp", StringComparison.Ordinal) || f.Contains(".part-", StringComparison.Ordinal));
    }

    private string Submit(string elmo, string input, string output, string model)
    {
        string script = Path.Combine(repository, "scripts/slurm/embed-array.sbatch");
        var (code, text) = Shell($"ELMO={Quote(elmo)} sbatch --parsable --export=ALL --array=0-3 --output={Quote(work.Combine("%A_%a.log"))} " +
                                 $"{Quote(script)} {Quote(input)} {Quote(output)} {model}");
        Assert.True(code == 0, text);
        return text.Trim().Split(';')[0];
    }

    private void WaitForArray(string job)
    {
        Stopwatch clock = Stopwatch.StartNew();
        while (Shell($"squeue -h -j {job}").Output.Trim().Length > 0)
        {
            Assert.True(clock.Elapsed < ArrayTimeout, $"array {job} did not finish in {ArrayTimeout}; logs:\n{Logs(job)}");
            Thread.Sleep(500);
        }
    }

    private void Merge(string elmo, string output)
    {
        var (code, text) = Shell($"{elmo} merge {Quote(output)}");
        Assert.True(code == 0, text);
    }

    private static void AssertIdentical(string expectedPath, string actualPath)
    {
        using EmbeddingFile expected = EmbeddingFile.Open(expectedPath), actual = EmbeddingFile.Open(actualPath);
        Assert.Empty(expected.Metadata!.IdentityDifferences(actual.Metadata!));
        Assert.Equal(expected.Count, actual.Count);
        for (long i = 0; i < expected.Count; i++)
        {
            SentenceVectors e = expected.Read(i), a = actual.Read(i);
            Assert.Equal(e.Shape, a.Shape);
            Assert.True(e.Values.AsSpan().SequenceEqual(a.Values), $"sentence {i} differs");
        }
    }

    private string Logs(string job) =>
        string.Join("\n", Directory.GetFiles(work.Path, $"{job}_*.log").Order().Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    private (int Code, string Output) Shell(string command)
    {
        var info = new ProcessStartInfo("bash", ["-c", command + " 2>&1"]) { RedirectStandardOutput = true, WorkingDirectory = work.Path };
        if (slurmConf is not null) info.Environment["SLURM_CONF"] = slurmConf;
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";

    private static string FindRepository()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "scripts", "slurm", "embed-array.sbatch"))) return folder.FullName;
        throw new InvalidOperationException("scripts/slurm not found above " + AppContext.BaseDirectory);
    }
}
