using ElmoKeras.Data;
using Microsoft.Data.Analysis;
using ElmoKeras.IO;

namespace ElmoKeras.Tests.Data;

/// <summary>The loaders against the real dataset in <c>shared/data/aclImdb_v1.tar.gz</c> (skipped when it is absent).</summary>
public sealed class ImdbArchiveTests(ImdbArchiveFixture fixture) : IClassFixture<ImdbArchiveFixture>
{
    [Fact]
    public async Task TrainAndTestHold25000ReviewsSplitByPolarityAndRating()
    {
        fixture.RequireRoot();
        // Goes through the archive source again: must reuse the fixture's extraction, not redo it.
        var options = new ImdbOptions { Source = fixture.Archive, CacheDirectory = fixture.CacheDirectory, Seed = 3 };

        var (train, test) = await Imdb.DownloadAndLoadDatasetsAsync(options, cancellationToken: TestContext.Current.CancellationToken);

        foreach (DataFrame split in new[] { train, test })
        {
            Assert.Equal(["sentence", "sentiment", "polarity"], split.Columns.Select(c => c.Name));
            Assert.Equal(25_000, split.Rows.Count);
            int[] polarity = split.ToInt32Array("polarity");
            int[] rating = split.ToInt32Array("sentiment");
            Assert.Equal(12_500, polarity.Count(p => p == 1));
            Assert.Equal(12_500, polarity.Count(p => p == 0));
            for (int row = 0; row < polarity.Length; row++)
                Assert.InRange(rating[row], polarity[row] == 1 ? 7 : 1, polarity[row] == 1 ? 10 : 4);
            Assert.All(split.ToStringArray("sentence"), s => Assert.False(string.IsNullOrWhiteSpace(s)));
            // Shuffled: the first 1,000 rows are not all of one polarity as in file order.
            Assert.InRange(polarity.Take(1000).Sum(), 400, 600);
        }
        Assert.NotEqual(train.ToStringArray("sentence")[..10], test.ToStringArray("sentence")[..10]);
    }

    [Fact]
    public void ShuffleIsDeterministicForASeedAndDiffersAcrossSeeds()
    {
        string trainFolder = Path.Combine(fixture.RequireRoot(), "train");

        string[] first = Imdb.LoadDataset(trainFolder, seed: 11).ToStringArray("sentence");
        string[] again = Imdb.LoadDataset(trainFolder, seed: 11).ToStringArray("sentence");
        string[] other = Imdb.LoadDataset(trainFolder, seed: 12).ToStringArray("sentence");

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(first.Order(StringComparer.Ordinal), other.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void UnsupervisedSplitHolds50000UnratedReviews()
    {
        string unsup = Path.Combine(fixture.RequireRoot(), "train", "unsup");

        string[] texts = Imdb.LoadUnsupervised(unsup);
        DataFrame frame = Imdb.LoadDirectoryData(unsup);

        Assert.Equal(50_000, texts.Length);
        Assert.Equal(texts, frame.ToStringArray("sentence"));
        Assert.All(frame.ToInt32Array("sentiment"), rating => Assert.Equal(0, rating));
    }

    [Fact]
    public void FirstWordsCutsReviewsTo150Words()
    {
        DataFrame pos = Imdb.LoadDirectoryData(Path.Combine(fixture.RequireRoot(), "test", "pos"));

        string[] cut = Text.FirstWords(pos, 150);

        Assert.Equal(12_500, cut.Length);
        Assert.All(cut, text => Assert.InRange(text.Split(' ').Length, 1, 150));
        Assert.Contains(cut, text => text.Split(' ').Length == 150);
    }

    [Fact]
    public void ExtractionLandsInTheCacheWithItsMarker()
    {
        string root = fixture.RequireRoot();

        Assert.Equal(Path.Combine(fixture.CacheDirectory, "datasets", "aclImdb_v1", "aclImdb"), root);
        Assert.True(File.Exists(Path.Combine(fixture.CacheDirectory, "datasets", "aclImdb_v1", ".elmokeras-extracted")));
        Assert.False(Directory.Exists(Path.Combine(fixture.CacheDirectory, "datasets", "aclImdb_v1.partial")));
        Assert.False(ArchiveExtractor.Extract(fixture.Archive!, Path.Combine(fixture.CacheDirectory, "datasets", "aclImdb_v1"), cancellationToken: TestContext.Current.CancellationToken));
    }
}
