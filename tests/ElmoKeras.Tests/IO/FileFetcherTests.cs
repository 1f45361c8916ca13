using System.Net;
using System.Security.Cryptography;
using ElmoKeras.Data;
using ElmoKeras.IO;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.IO;

public sealed class FileFetcherTests : IAsyncDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private readonly TempFolder temp = new();
    private readonly LocalHttpServer server = new();
    private readonly HttpClient client = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource timeout = new(TestTimeout);
    private readonly byte[] payload = RandomNumberGenerator.GetBytes(300_000);

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await server.DisposeAsync();
        timeout.Dispose();
        temp.Dispose();
    }

    private string Datasets => temp.Combine("cache", "datasets");

    private GetFileOptions Options(string? sha256 = null) => new()
    {
        CacheDirectory = temp.Combine("cache"),
        HttpClient = client,
        Sha256 = sha256,
        InitialRetryDelay = TimeSpan.FromMilliseconds(1),
    };

    private string PayloadSha256 => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>What the cache folder holds apart from lock files (which carry no data).</summary>
    private string[] CachedData() => TempFolder.Listing(Datasets).Where(p => !p.EndsWith(".lock", StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task DownloadsIntoTheCacheOnceAndServesTheCopyAfterwards()
    {
        server.Map("/files/data.bin", _ => Reply.Ok(payload));
        var reports = new List<DownloadProgress>();
        var progress = new InlineProgress<DownloadProgress>(reports.Add);

        CachedFile first = await FileFetcher.GetFileAsync("data.bin", server.Url("/files/data.bin"), Options(PayloadSha256), progress, timeout.Token);
        CachedFile second = await FileFetcher.GetFileAsync("data.bin", server.Url("/files/data.bin"), Options(PayloadSha256), null, timeout.Token);

        Assert.Equal(Path.Combine(Datasets, "data.bin"), first.FilePath);
        Assert.Equal(payload, File.ReadAllBytes(first.FilePath));
        Assert.True(first.Downloaded);
        Assert.False(second.Downloaded);
        Assert.Equal(first.FilePath, second.FilePath);
        Assert.Equal(1, server.RequestCount("/files/data.bin"));
        Assert.Equal(["data.bin"], CachedData());
        Assert.Equal(payload.Length, reports[^1].BytesReceived);
        Assert.Equal(payload.Length, reports[^1].TotalBytes);
    }

    [Fact]
    public async Task ConcurrentCallsForOneFileDownloadItOnce()
    {
        server.Map("/data.bin", _ => new Reply(200, payload, DelayBeforeBody: TimeSpan.FromMilliseconds(300)));

        CachedFile[] results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            FileFetcher.GetFileAsync("data.bin", server.Url("/data.bin"), Options(PayloadSha256), null, timeout.Token)));

        Assert.Equal(1, server.RequestCount("/data.bin"));
        Assert.Single(results, r => r.Downloaded);
        Assert.Equal(payload, File.ReadAllBytes(results[0].FilePath));
    }

    [Fact]
    public async Task WrongHashFailsAndLeavesNothing()
    {
        server.Map("/data.bin", _ => Reply.Ok(payload));
        string wrong = new('0', 64);

        var error = await Assert.ThrowsAsync<ChecksumMismatchException>(() =>
            FileFetcher.GetFileAsync("data.bin", server.Url("/data.bin"), Options(wrong), null, timeout.Token));

        Assert.Equal(wrong, error.ExpectedSha256);
        Assert.Equal(PayloadSha256, error.ActualSha256);
        Assert.Contains(server.Url("/data.bin").ToString(), error.Message);
        Assert.Empty(CachedData());
        Assert.Equal(1, server.RequestCount("/data.bin")); // a hash mismatch is not retried
    }

    [Fact]
    public async Task ConnectionDroppedMidFileLeavesNothingAfterRetries()
    {
        server.Map("/data.bin", _ => new Reply(200, payload, DropAfter: payload.Length / 3));

        var error = await Assert.ThrowsAsync<DownloadException>(() =>
            FileFetcher.GetFileAsync("data.bin", server.Url("/data.bin"), Options() with { MaxRetries = 2 }, null, timeout.Token));

        Assert.Contains("after 3 attempts", error.Message);
        Assert.Contains(server.Url("/data.bin").ToString(), error.Message);
        Assert.Equal(3, server.RequestCount("/data.bin"));
        Assert.Empty(CachedData());
    }

    [Fact]
    public async Task TransientFailuresAreRetriedWithDoublingDelays()
    {
        server.Map("/data.bin", attempt => attempt switch
        {
            1 => new Reply(503, "busy"u8.ToArray()),
            2 => new Reply(200, payload, DropAfter: 1000),
            _ => Reply.Ok(payload),
        });
        var clock = new RecordingTimeProvider();
        var logger = new RecordingLogger();
        var options = Options(PayloadSha256) with { TimeProvider = clock, InitialRetryDelay = TimeSpan.FromSeconds(2), Logger = logger };

        CachedFile file = await FileFetcher.GetFileAsync("data.bin", server.Url("/data.bin"), options, null, timeout.Token);

        Assert.Equal(payload, File.ReadAllBytes(file.FilePath));
        Assert.Equal(3, server.RequestCount("/data.bin"));
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], clock.Delays);
        Assert.Equal(2, logger.Entries.Count(e => e.EventId.Id == 4003));
    }

    [Fact]
    public async Task NotFoundIsAClearErrorWithoutRetries()
    {
        var error = await Assert.ThrowsAsync<DownloadException>(() =>
            FileFetcher.GetFileAsync("missing.bin", server.Url("/missing.bin"), Options(), null, timeout.Token));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal(server.Url("/missing.bin"), error.Origin);
        Assert.Contains("404", error.Message);
        Assert.Contains(server.Url("/missing.bin").ToString(), error.Message);
        Assert.Equal(1, server.RequestCount("/missing.bin"));
        Assert.Empty(CachedData());
    }

    [Fact]
    public async Task CancellationMidDownloadLeavesNothing()
    {
        server.Map("/slow.bin", _ => new Reply(200, payload, HangAfter: 100_000));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var progress = new InlineProgress<DownloadProgress>(p =>
        {
            if (p.BytesReceived > 0)
                cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            FileFetcher.GetFileAsync("slow.bin", server.Url("/slow.bin"), Options(), progress, cancel.Token));

        Assert.Equal(1, server.RequestCount("/slow.bin"));
        Assert.Empty(CachedData());
    }

    [Fact]
    public async Task StalledTransferTimesOutAndIsRetried()
    {
        server.Map("/data.bin", attempt => attempt == 1 ? new Reply(200, payload, HangAfter: 1000) : Reply.Ok(payload));
        var options = Options(PayloadSha256) with { StallTimeout = TimeSpan.FromMilliseconds(300) };

        CachedFile file = await FileFetcher.GetFileAsync("data.bin", server.Url("/data.bin"), options, null, timeout.Token);

        Assert.True(file.Downloaded);
        Assert.Equal(2, server.RequestCount("/data.bin"));
    }

    [Fact]
    public async Task CachedFileWithWrongHashOrForceIsDownloadedAgain()
    {
        server.Map("/data.bin", _ => Reply.Ok(payload));
        Directory.CreateDirectory(Datasets);
        File.WriteAllText(Path.Combine(Datasets, "data.bin"), "stale or corrupt");

        CachedFile repaired = await FileFetcher.GetFileAsync("data.bin", server.Url("/data.bin"), Options(PayloadSha256), null, timeout.Token);
        Assert.True(repaired.Downloaded);
        Assert.Equal(payload, File.ReadAllBytes(repaired.FilePath));

        CachedFile forced = await FileFetcher.GetFileAsync("data.bin", server.Url("/data.bin"), Options() with { Force = true }, null, timeout.Token);
        Assert.True(forced.Downloaded);
        Assert.Equal(2, server.RequestCount("/data.bin"));
    }

    [Fact]
    public async Task ExtractsAnArchiveOnceBesideIt()
    {
        string archive = TestArchives.TarGz(temp.Combine("module.tar.gz"), ("saved_model.pb", "graph"), ("variables/variables.index", "index"));
        server.Map("/module.tar.gz", _ => Reply.Ok(File.ReadAllBytes(archive)));
        var options = Options() with { Extract = true, CacheSubdirectory = "" };

        CachedFile first = await FileFetcher.GetFileAsync("0123abcd.tar.gz", server.Url("/module.tar.gz"), options, null, timeout.Token);
        File.WriteAllText(Path.Combine(first.ExtractedDirectory!, "added-later.txt"), "kept");
        CachedFile second = await FileFetcher.GetFileAsync("0123abcd.tar.gz", server.Url("/module.tar.gz"), options, null, timeout.Token);

        Assert.Equal(temp.Combine("cache", "0123abcd"), first.ExtractedDirectory);
        Assert.Equal("graph", File.ReadAllText(Path.Combine(first.ExtractedDirectory!, "saved_model.pb")));
        Assert.Equal("index", File.ReadAllText(Path.Combine(first.ExtractedDirectory!, "variables", "variables.index")));
        Assert.True(File.Exists(Path.Combine(second.ExtractedDirectory!, "added-later.txt")));
        Assert.Equal(1, server.RequestCount("/module.tar.gz"));
    }

    [Fact]
    public async Task FullDiskIsReportedPlainlyNotRetriedAndLeavesNothing()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/dev/full"))
            Assert.Skip("Needs Linux's /dev/full, whose writes fail with ENOSPC, to stand in for a full disk.");
        server.Map("/data.bin", _ => Reply.Ok(payload));
        string destination = temp.Combine("data.bin");
        // The download's temporary file is made a link to /dev/full, so writing it fails as on a full disk.
        File.CreateSymbolicLink(destination + ".download", "/dev/full");

        var error = await Assert.ThrowsAsync<DownloadException>(() =>
            Downloader.DownloadAsync(server.Url("/data.bin"), destination, Options(), null, timeout.Token));

        Assert.StartsWith("Ran out of disk space writing", error.Message);
        Assert.Contains("ELMOKERAS_HOME", error.Message);
        Assert.Equal(1, server.RequestCount("/data.bin"));
        Assert.DoesNotContain(TempFolder.Listing(temp.Path), p => p.StartsWith("data.bin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DownloadFileAsyncWritesExactlyTheGivenPath()
    {
        server.Map("/data.bin", _ => Reply.Ok(payload));
        string destination = temp.Combine("anywhere", "deeper", "file.bin");

        await FileFetcher.DownloadFileAsync(server.Url("/data.bin"), destination, new DownloadOptions { HttpClient = client, Sha256 = PayloadSha256.ToUpperInvariant() }, null, timeout.Token);

        Assert.Equal(payload, File.ReadAllBytes(destination));
        Assert.Equal(["file.bin", "file.bin.lock"], TempFolder.Listing(temp.Combine("anywhere", "deeper")));
    }

    [Fact]
    public async Task BadArgumentsAreRejectedBeforeAnyRequest()
    {
        Uri url = server.Url("/x");
        await Assert.ThrowsAsync<ArgumentException>(() => FileFetcher.GetFileAsync("../x.bin", url, Options(), null, timeout.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => FileFetcher.GetFileAsync("sub/x.bin", url, Options(), null, timeout.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => FileFetcher.GetFileAsync("x.bin", new Uri("ftp://127.0.0.1/x"), Options(), null, timeout.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => FileFetcher.GetFileAsync("x.bin", url, Options() with { CacheSubdirectory = "../elsewhere" }, null, timeout.Token));
        var invalid = await Assert.ThrowsAsync<ArgumentException>(() => FileFetcher.GetFileAsync("x.bin", url, Options("abc") with { MaxRetries = -1 }, null, timeout.Token));
        Assert.Equal("options", invalid.ParamName);
        Assert.Contains("Sha256", invalid.Message);
        Assert.Contains("MaxRetries", invalid.Message);
        Assert.Equal(0, server.RequestCount("/x"));
    }

    [Fact]
    public void CacheDirectoryComesFromTheArgumentThenTheEnvironmentThenHome()
    {
        string fromArgument = temp.Combine("arg");
        string fromEnvironment = temp.Combine("env");
        string? Environment(string name) => name == "ELMOKERAS_HOME" ? fromEnvironment : null;

        Assert.Equal(fromArgument, FileFetcher.ResolveCacheDirectoryCore(fromArgument, Environment));
        Assert.Equal(fromEnvironment, FileFetcher.ResolveCacheDirectoryCore(null, Environment));
        string home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".elmokeras"), FileFetcher.ResolveCacheDirectoryCore(null, _ => null));
        Assert.Equal(Path.Combine(home, ".elmokeras"), FileFetcher.ResolveCacheDirectoryCore("  ", _ => ""));
    }

    /// <summary>Records each delay the code under test waits for and lets it pass at once.</summary>
    private sealed class RecordingTimeProvider : TimeProvider
    {
        public List<TimeSpan> Delays { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Delays)
                Delays.Add(dueTime);
            return System.CreateTimer(callback, state, TimeSpan.Zero, period);
        }
    }
}
