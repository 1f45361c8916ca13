using System.Diagnostics;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Cli;

/// <summary>
/// The streaming embed's peak memory does not grow with the input: ten times the lines must peak
/// within 25% of the smaller run, measured on the real <c>elmo</c> process. A random model with a wide
/// output (3 layers x 512) makes the larger run write ~120 MB, about half the process's baseline, so
/// holding the output (or most of it) in memory would fail the test.
/// </summary>
public sealed class EmbedMemoryTests : IDisposable
{
    private readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public void PeakMemoryOfTheFlatLayoutStaysFlatInTheNumberOfLines()
    {
        Assert.SkipWhen(!OperatingSystem.IsLinux(), "peak RSS is read from Linux's getrusage");
        string? python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(python is null, "python3 (to read the child's peak RSS with getrusage) is not installed");

        ElmoOptions fixture = ElmoOptions.Load(Fixtures.ElmoOptions);
        string options = cli.Path("wide.json"), weights = cli.Path("wide.hdf5");
        using (var wide = ElmoModel.CreateRandom(fixture with { Lstm = fixture.Lstm with { ProjectionDim = 256, Dim = 256 } }, seed: 3))
            wide.Save(weights, options);

        // Fixture sentences joined in pairs: ~20 tokens a line.
        string[] pairs = CliHarness.FixtureLines(30).Chunk(2).Select(p => string.Join(' ', p)).ToArray();
        string small = cli.WriteInput(Enumerable.Range(0, 100).Select(i => pairs[i % pairs.Length]), "small.txt");
        string large = cli.WriteInput(Enumerable.Range(0, 1_000).Select(i => pairs[i % pairs.Length]), "large.txt");

        long smallPeak = PeakKib(python!, small, cli.Path("small.h5"), options, weights);
        long largePeak = PeakKib(python!, large, cli.Path("large.h5"), options, weights);
        long written = new FileInfo(cli.Path("large.h5")).Length;
        Assert.True(written > 100_000_000, $"the large run wrote only {written} bytes; the test needs output far bigger than its margin");
        Assert.True(largePeak <= smallPeak * 1.25, $"peak RSS {smallPeak} KiB for 100 lines but {largePeak} KiB for 1,000 ({written / 1_000_000} MB written)");
    }

    private static long PeakKib(string python, string input, string output, string options, string weights)
    {
        string elmo = Path.Combine(AppContext.BaseDirectory, "elmo.dll");
        var info = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "-c",
                "import resource, subprocess, sys\n" +
                "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n" +
                "sys.stderr.write(r.stderr.decode()[-2000:])\n" +
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)",
                "dotnet", elmo, "embed", input, output, "--all", "--layout", "flat",
                "--options-file", options, "--weight-file", weights,
            },
        };
        using var process = Process.Start(info)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        long kib = long.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(kib > 0, $"elmo embed failed: {stderr}");
        return kib;
    }
}
