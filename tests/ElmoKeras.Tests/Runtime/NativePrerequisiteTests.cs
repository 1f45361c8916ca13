using System.Diagnostics;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Runtime;

/// <summary>
/// Runs the CLI against Debian 12's own libstdc++ (GCC 12, no GLIBCXX_3.4.32): the failure users
/// hit before installing the prerequisite. .ci/run unpacks that library and points
/// ELMOKERAS_TEST_OLD_LIBSTDCXX at its folder; without it the test is skipped.
/// </summary>
public class NativePrerequisiteTests
{
    [Fact]
    public async Task OldLibStdCxxGivesAnActionableError()
    {
        string? oldLibrary = Environment.GetEnvironmentVariable("ELMOKERAS_TEST_OLD_LIBSTDCXX");
        Assert.SkipWhen(string.IsNullOrEmpty(oldLibrary) || !File.Exists(Path.Combine(oldLibrary, "libstdc++.so.6")),
            "Set ELMOKERAS_TEST_OLD_LIBSTDCXX to a folder holding Debian 12's libstdc++.so.6 (.ci/run does).");

        string cli = Path.Combine(AppContext.BaseDirectory, "elmo.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "embed", Path.Combine(Fixtures.ElmoDir, "vocab_test.txt"), Path.Combine(Path.GetTempPath(), $"never-{Guid.NewGuid():N}.hdf5"),
            "--top", "--options-file", Fixtures.ElmoOptions, "--weight-file", Fixtures.ElmoWeights])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["LD_LIBRARY_PATH"] = oldLibrary;
        using var process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, process.ExitCode);
        Assert.StartsWith("error: TorchSharp's native library (libLibTorchSharp.so) could not be loaded because the system C++ runtime", error);
        Assert.Contains("lacks GLIBCXX_3.4.32", error);
        Assert.Contains("scripts/install-prereqs.sh", error);
        Assert.DoesNotContain("   at ", error); // one clear message, no stack trace
    }
}
