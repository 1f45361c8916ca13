using System.Text;
using ElmoKeras.Data;
using Microsoft.Data.Analysis;
using Microsoft.Extensions.Logging;
using ElmoKeras.IO;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Data;

/// <summary>The IMDB loaders on small hand-made folders; <see cref="ImdbArchiveTests"/> covers the real dataset.</summary>
public sealed class ImdbTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Folder(string relative, params (string Name, string Text)[] files)
    {
        string folder = temp.Combine(relative);
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in files)
            File.WriteAllText(Path.Combine(folder, name), text, new UTF8Encoding(false));
        return folder;
    }

    [Fact]
    public void LoadDirectoryDataReadsTextAndRatingInIdOrder()
    {
        string folder = Folder("pos", ("10_9.txt", "ten"), ("2_7.txt", "two"), ("1_10.txt", "one <br />line"));
        File.WriteAllBytes(Path.Combine(folder, "3_8.txt"), [0xEF, 0xBB, 0xBF, .. "three"u8]);
        File.WriteAllText(Path.Combine(folder, ".DS_Store"), "\0binary");

        DataFrame frame = Imdb.LoadDirectoryData(folder);

        Assert.Equal(["sentence", "sentiment"], frame.Columns.Select(c => c.Name));
        Assert.Equal(typeof(string), frame.Columns["sentence"].DataType);
        Assert.Equal(typeof(int), frame.Columns["sentiment"].DataType);
        Assert.Equal(["one <br />line", "two", "three", "ten"], frame.ToStringArray("sentence"));
        Assert.Equal([10, 7, 8, 9], frame.ToInt32Array("sentiment"));
    }

    [Fact]
    public void LineBreakTagsAreRemovedOnlyWhenAskedFor()
    {
        string folder = Folder("pos", ("1_10.txt", "Great.<br /><br />Loved it<BR>a lot"));

        DataFrame frame = Imdb.LoadDirectoryData(folder, new ImdbOptions { RemoveLineBreakTags = true });

        Assert.Equal("Great.  Loved it a lot", frame.ToStringArray("sentence")[0]);
    }

    [Fact]
    public void LoadDatasetLabelsPolarityAndShufflesDeterministically()
    {
        Folder("train/pos", Enumerable.Range(0, 20).Select(i => ($"{i}_{7 + i % 4}.txt", $"pos {i}")).ToArray());
        Folder("train/neg", Enumerable.Range(0, 20).Select(i => ($"{i}_{1 + i % 4}.txt", $"neg {i}")).ToArray());
        string split = temp.Combine("train");

        DataFrame a = Imdb.LoadDataset(split, seed: 1);
        DataFrame again = Imdb.LoadDataset(split, new ImdbOptions { Seed = 1 });
        DataFrame b = Imdb.LoadDataset(split, seed: 2);

        Assert.Equal(["sentence", "sentiment", "polarity"], a.Columns.Select(c => c.Name));
        Assert.Equal(40, a.Rows.Count);
        string[] sentences = a.ToStringArray("sentence");
        int[] ratings = a.ToInt32Array("sentiment");
        int[] polarity = a.ToInt32Array("polarity");
        for (int row = 0; row < sentences.Length; row++)
        {
            bool positive = sentences[row].StartsWith("pos", StringComparison.Ordinal);
            Assert.Equal(positive ? 1 : 0, polarity[row]);
            Assert.InRange(ratings[row], positive ? 7 : 1, positive ? 10 : 4);
        }
        Assert.Equal(sentences, again.ToStringArray("sentence"));
        Assert.NotEqual(sentences, b.ToStringArray("sentence"));
        Assert.Equal(sentences.Order(), b.ToStringArray("sentence").Order());
        Assert.NotEqual(sentences.Order(), sentences); // actually shuffled, not left in file order
    }

    [Fact]
    public void MissingNegFolderNamesWhatIsThere()
    {
        Folder("train/pos", ("1_8.txt", "fine"));
        Folder("train/unsup", ("1_0.txt", "fine"));

        var error = Assert.Throws<DirectoryNotFoundException>(() => Imdb.LoadDataset(temp.Combine("train")));

        Assert.Contains("has no 'neg' folder", error.Message);
        Assert.Contains("'pos', 'unsup'", error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => Imdb.LoadDirectoryData(temp.Combine("nowhere")));
    }

    public static TheoryData<string, byte[], string> MalformedFiles => new()
    {
        { "review.txt", "text"u8.ToArray(), "is not named <id>_<rating>.txt" },
        { "12_x.txt", "text"u8.ToArray(), "is not named <id>_<rating>.txt" },
        { "12_3.txt.bak", "text"u8.ToArray(), "is not named <id>_<rating>.txt" },
        { "12_3.txt", [0x61, 0x62, 0xC3, 0x28], "not valid UTF-8: byte 0xC3 at offset 2" },
        { "12_3.txt", [], "holds no review text" },
        { "12_3.txt", " \n\t "u8.ToArray(), "holds no review text" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void MalformedFileThrowsNamingIt(string name, byte[] content, string expected)
    {
        string folder = Folder("neg", ("1_2.txt", "good"));
        File.WriteAllBytes(Path.Combine(folder, name), content);

        var error = Assert.Throws<DatasetFormatException>(() => Imdb.LoadDirectoryData(folder));

        Assert.Equal(Path.Combine(folder, name), error.FilePath);
        Assert.Contains(Path.Combine(folder, name), error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains("MalformedFiles to Skip", error.Message);
    }

    [Fact]
    public void SkippedMalformedFilesAreCountedAndLogged()
    {
        string folder = Folder("neg", ("1_2.txt", "good"), ("2_3.txt", "also good"), ("notes.md", "x"), ("3_1.txt", ""));
        File.WriteAllBytes(Path.Combine(folder, "4_4.txt"), [0xFF, 0xFE]);
        var logger = new RecordingLogger();

        DataFrame frame = Imdb.LoadDirectoryData(folder, new ImdbOptions { MalformedFiles = MalformedFileHandling.Skip, Logger = logger });

        Assert.Equal(["good", "also good"], frame.ToStringArray("sentence"));
        var summary = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("Skipped 3 malformed files of 5", summary.Message);
        Assert.Contains("1 with names not matching", summary.Message);
        Assert.Contains("1 not UTF-8, 1 empty", summary.Message);
        Assert.Equal(3, logger.Entries.Count(e => e.Level == LogLevel.Debug && e.Message.StartsWith("Skipping", StringComparison.Ordinal)));
    }

    [Fact]
    public void UnreadableFileSurfacesItsOwnErrorNotAnAggregate()
    {
        string folder = Folder("pos", ("1_8.txt", "fine"));
        File.CreateSymbolicLink(Path.Combine(folder, "2_9.txt"), temp.Combine("gone.txt")); // listed, but cannot be read

        var error = Assert.Throws<FileNotFoundException>(() => Imdb.LoadDirectoryData(folder));

        Assert.Contains(Path.Combine(folder, "2_9.txt"), error.Message);
    }

    [Fact]
    public void LoadUnsupervisedReturnsTextsInIdOrder()
    {
        string folder = Folder("unsup", ("11_0.txt", "eleven"), ("2_0.txt", "two"));

        Assert.Equal(["two", "eleven"], Imdb.LoadUnsupervised(folder));
    }

    [Fact]
    public async Task SourceFolderOrArchiveIsUsedWithoutDownloading()
    {
        Folder("copy/aclImdb/train/pos", ("1_9.txt", "train pos"));
        Folder("copy/aclImdb/train/neg", ("1_1.txt", "train neg"));
        Folder("copy/aclImdb/test/pos", ("1_8.txt", "test pos"));
        Folder("copy/aclImdb/test/neg", ("1_2.txt", "test neg"));
        // An origin nothing listens on: any attempt to download would fail the test.
        var offline = new ImdbOptions { Origin = new Uri("http://127.0.0.1:9/nothing"), CacheDirectory = temp.Combine("cache") };

        var (train, test) = await Imdb.DownloadAndLoadDatasetsAsync(offline with { Source = temp.Combine("copy") }, cancellationToken: Ct);
        Assert.Equal(["train neg", "train pos"], train.ToStringArray("sentence").Order());
        Assert.Equal(["test neg", "test pos"], test.ToStringArray("sentence").Order());
        Assert.Equal(temp.Combine("copy", "aclImdb"), await Imdb.GetDatasetDirectoryAsync(offline with { Source = temp.Combine("copy", "aclImdb") }, cancellationToken: Ct));

        string archive = TestArchives.TarGz(temp.Combine("small_imdb.tar.gz"),
            ("aclImdb/train/pos/5_10.txt", "a"), ("aclImdb/train/neg/5_4.txt", "b"), ("aclImdb/test/pos/5_7.txt", "c"), ("aclImdb/test/neg/5_3.txt", "d"));
        string root = await Imdb.GetDatasetDirectoryAsync(offline with { Source = archive }, cancellationToken: Ct);
        Assert.Equal(temp.Combine("cache", "datasets", "small_imdb", "aclImdb"), root);
        Assert.Equal(["c"], Imdb.LoadDirectoryData(Path.Combine(root, "test", "pos")).ToStringArray("sentence"));

        await Assert.ThrowsAsync<ChecksumMismatchException>(() => Imdb.GetDatasetDirectoryAsync(offline with { Source = archive, Sha256 = new string('a', 64) }, cancellationToken: Ct));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Imdb.GetDatasetDirectoryAsync(offline with { Source = temp.Combine("absent") }, cancellationToken: Ct));
        var notImdb = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => Imdb.GetDatasetDirectoryAsync(offline with { Source = temp.Combine("copy", "aclImdb", "train") }, cancellationToken: Ct));
        Assert.Contains("expected 'train' and 'test' folders", notImdb.Message);
    }

    [Fact]
    public void InvalidOptionsAreListedTogether()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Imdb.LoadDirectoryData(temp.Path, new ImdbOptions { MaxDegreeOfParallelism = 0, Sha256 = "xyz", MalformedFiles = (MalformedFileHandling)7 }));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("MaxDegreeOfParallelism", error.Message);
        Assert.Contains("Sha256", error.Message);
        Assert.Contains("MalformedFiles", error.Message);
    }

    [Fact]
    public void ShuffleIsAFixedPermutationForASeed()
    {
        // Pinned values: the order for a seed must not change between .NET versions or platforms.
        Assert.Equal([4, 1, 3, 7, 2, 6, 0, 5], Imdb.Shuffled(8, 42));
        Assert.Equal(Enumerable.Range(0, 1000), Imdb.Shuffled(1000, 7).Order());
    }
}
