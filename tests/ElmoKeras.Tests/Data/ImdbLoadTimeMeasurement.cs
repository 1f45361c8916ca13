using System.Diagnostics;
using ElmoKeras.Data;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Data;

/// <summary>
/// Measures loading the full dataset from the shared archive, for docs/data.md. Runs only when
/// ELMOKERAS_MEASURE=1 (it takes a while and asserts no timing); see docs/data.md for the command.
/// </summary>
[Trait("Category", "Measurement")]
public sealed class ImdbLoadTimeMeasurement(ITestOutputHelper output)
{
    [Fact]
    public async Task MeasureLoadingTheFullDatasetFromTheArchive()
    {
        if (Environment.GetEnvironmentVariable("ELMOKERAS_MEASURE") != "1")
            Assert.Skip("Set ELMOKERAS_MEASURE=1 to run this measurement.");
        string archive = SharedData.RequireImdbArchive();
        using var cache = new TempFolder("elmokeras-measure");
        var options = new ImdbOptions { Source = archive, CacheDirectory = cache.Path, Seed = 1 };

        var total = Stopwatch.StartNew();
        string root = await Imdb.GetDatasetDirectoryAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        TimeSpan extract = total.Elapsed;
        var (train, test) = await Imdb.DownloadAndLoadDatasetsAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        TimeSpan firstLoad = total.Elapsed;
        string[] unsup = Imdb.LoadUnsupervised(Path.Combine(root, "train", "unsup"));
        TimeSpan withUnsup = total.Elapsed;

        var again = Stopwatch.StartNew();
        var (train2, test2) = await Imdb.DownloadAndLoadDatasetsAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        TimeSpan cachedLoad = again.Elapsed;

        Assert.Equal(25_000, train.Rows.Count + 0 * train2.Rows.Count);
        Assert.Equal(25_000, test.Rows.Count + 0 * test2.Rows.Count);
        Assert.Equal(50_000, unsup.Length);
        output.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
        output.WriteLine($"extract archive (100,000 reviews) into a fresh cache: {extract.TotalSeconds:0.00} s");
        output.WriteLine($"load train + test data frames (50,000 files):         {(firstLoad - extract).TotalSeconds:0.00} s");
        output.WriteLine($"archive -> (train, test) total:                        {firstLoad.TotalSeconds:0.00} s");
        output.WriteLine($"load unsup (50,000 files):                             {(withUnsup - firstLoad).TotalSeconds:0.00} s");
        output.WriteLine($"second DownloadAndLoadDatasetsAsync (cache warm):      {cachedLoad.TotalSeconds:0.00} s");
    }
}
