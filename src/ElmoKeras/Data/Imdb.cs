using Microsoft.Data.Analysis;
using ElmoKeras.IO;

namespace ElmoKeras.Data;

/// <summary>
/// The Large Movie Review Dataset (Maas et al., 2011) as data frames, read the way the seed recipe
/// reads it: one row per review with its text (<c>sentence</c>), its 1-10 rating from the file name
/// (<c>sentiment</c>) and, for the labelled splits, <c>polarity</c> 1 for positive and 0 for negative.
/// </summary>
/// <remarks>
/// The archive's layout is <c>aclImdb/{train,test}/{pos,neg}/&lt;id&gt;_&lt;rating&gt;.txt</c> (12,500 files
/// each; ratings 7-10 positive, 1-4 negative) and <c>aclImdb/train/unsup</c> (50,000 unrated reviews,
/// rating 0). Files are read in parallel and in id order; malformed files are handled as
/// <see cref="ImdbOptions.MalformedFiles"/> says.
/// </remarks>
public static class Imdb
{
    /// <summary>The archive's file name in the cache.</summary>
    public const string ArchiveFileName = "aclImdb_v1.tar.gz";

    /// <summary>Stanford's copy of the archive.</summary>
    public static Uri DefaultOrigin { get; } = new("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz");

    /// <summary>The column holding each review's text.</summary>
    public const string SentenceColumn = "sentence";

    /// <summary>The column holding each review's rating, 1 to 10 (0 for unrated reviews).</summary>
    public const string SentimentColumn = "sentiment";

    /// <summary>The column holding 1 for a positive and 0 for a negative review.</summary>
    public const string PolarityColumn = "polarity";

    /// <summary>
    /// Reads one folder of review files (such as <c>aclImdb/train/pos</c>) into a data frame with
    /// <c>sentence</c> (string) and <c>sentiment</c> (int, the rating in the file name), in id order.
    /// </summary>
    /// <param name="directory">The folder of <c>&lt;id&gt;_&lt;rating&gt;.txt</c> files.</param>
    /// <param name="options">Reading settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed and <see cref="ImdbOptions.MalformedFiles"/> is <see cref="MalformedFileHandling.Throw"/>.</exception>
    public static DataFrame LoadDirectoryData(string directory, ImdbOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options = Validated(options);
        ReviewReader.Reviews reviews = ReviewReader.Read(directory, options);
        return new DataFrame(
            new StringDataFrameColumn(SentenceColumn, reviews.Texts),
            new Int32DataFrameColumn(SentimentColumn, reviews.Ratings));
    }

    /// <summary>Reads a split folder as <see cref="LoadDataset(string, ImdbOptions?)"/> does, shuffled with <paramref name="seed"/>.</summary>
    /// <param name="directory">The split folder (such as <c>aclImdb/train</c>) holding <c>pos</c> and <c>neg</c>.</param>
    /// <param name="seed">The shuffle's seed.</param>
    /// <exception cref="DirectoryNotFoundException">The folder, or its <c>pos</c> or <c>neg</c> folder, does not exist.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed.</exception>
    public static DataFrame LoadDataset(string directory, int seed) => LoadDataset(directory, new ImdbOptions { Seed = seed });

    /// <summary>
    /// Reads a split folder's <c>pos</c> and <c>neg</c> reviews into one data frame with <c>sentence</c>,
    /// <c>sentiment</c> and <c>polarity</c> (1 positive, 0 negative), shuffled with
    /// <see cref="ImdbOptions.Seed"/> and numbered from 0 (the seed's <c>sample(frac=1).reset_index(drop=True)</c>).
    /// </summary>
    /// <param name="directory">The split folder (such as <c>aclImdb/train</c>) holding <c>pos</c> and <c>neg</c>.</param>
    /// <param name="options">Seed and reading settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The folder, or its <c>pos</c> or <c>neg</c> folder, does not exist.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed and <see cref="ImdbOptions.MalformedFiles"/> is <see cref="MalformedFileHandling.Throw"/>.</exception>
    public static DataFrame LoadDataset(string directory, ImdbOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options = Validated(options);
        string split = Path.GetFullPath(directory);
        RequireFolders(split, "pos", "neg");
        ReviewReader.Reviews positive = ReviewReader.Read(Path.Combine(split, "pos"), options);
        ReviewReader.Reviews negative = ReviewReader.Read(Path.Combine(split, "neg"), options);

        int count = positive.Texts.Length + negative.Texts.Length;
        int[] order = Shuffled(count, options.Seed);
        var sentences = new string[count];
        var ratings = new int[count];
        var polarities = new int[count];
        for (int row = 0; row < count; row++)
        {
            int source = order[row];
            bool isPositive = source < positive.Texts.Length;
            ReviewReader.Reviews from = isPositive ? positive : negative;
            int index = isPositive ? source : source - positive.Texts.Length;
            sentences[row] = from.Texts[index];
            ratings[row] = from.Ratings[index];
            polarities[row] = isPositive ? 1 : 0;
        }
        return new DataFrame(
            new StringDataFrameColumn(SentenceColumn, sentences),
            new Int32DataFrameColumn(SentimentColumn, ratings),
            new Int32DataFrameColumn(PolarityColumn, polarities));
    }

    /// <summary>
    /// Reads the unrated reviews (the folder <c>aclImdb/train/unsup</c>) as plain texts in id order, for
    /// language-model work. <see cref="LoadDirectoryData"/> reads the same folder as a data frame.
    /// </summary>
    /// <param name="directory">The folder of <c>&lt;id&gt;_0.txt</c> files, normally <c>aclImdb/train/unsup</c>.</param>
    /// <param name="options">Reading settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed and <see cref="ImdbOptions.MalformedFiles"/> is <see cref="MalformedFileHandling.Throw"/>.</exception>
    public static string[] LoadUnsupervised(string directory, ImdbOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return ReviewReader.Read(directory, Validated(options)).Texts;
    }

    /// <summary>
    /// The local <c>aclImdb</c> folder: <see cref="ImdbOptions.Source"/> when it is a folder, its
    /// extraction into the cache when it is an archive, otherwise the archive downloaded from
    /// <see cref="ImdbOptions.Origin"/> into the cache and extracted there (once; later calls reuse it).
    /// </summary>
    /// <param name="options">Source, cache and download settings; <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives byte counts while downloading.</param>
    /// <param name="cancellationToken">Stops the download or extraction; nothing partial is left in the cache.</param>
    /// <returns>The full path of the folder holding <c>train</c> and <c>test</c>.</returns>
    /// <exception cref="FileNotFoundException">The source does not exist.</exception>
    /// <exception cref="DirectoryNotFoundException">The source folder does not hold the dataset.</exception>
    /// <exception cref="DownloadException">The download failed.</exception>
    /// <exception cref="ChecksumMismatchException">The archive is not the one <see cref="ImdbOptions.Sha256"/> names.</exception>
    /// <exception cref="ArchiveExtractionException">The archive is corrupt or unsafe.</exception>
    public static async Task<string> GetDatasetDirectoryAsync(ImdbOptions? options = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options = Validated(options);
        string extracted;
        if (options.Source is null)
        {
            var fileOptions = new GetFileOptions
            {
                CacheDirectory = options.CacheDirectory,
                Sha256 = options.Sha256,
                HttpClient = options.HttpClient,
                Logger = options.Logger,
                Extract = true,
            };
            CachedFile file = await FileFetcher.GetFileAsync(ArchiveFileName, options.Origin, fileOptions, progress, cancellationToken).ConfigureAwait(false);
            extracted = file.ExtractedDirectory!;
        }
        else if (Directory.Exists(options.Source))
        {
            extracted = Path.GetFullPath(options.Source);
        }
        else if (File.Exists(options.Source))
        {
            string archive = Path.GetFullPath(options.Source);
            if (options.Sha256 is not null)
            {
                string actual = await Hashing.ComputeSha256Async(archive, cancellationToken).ConfigureAwait(false);
                if (!Hashing.Matches(options.Sha256, actual))
                    throw new ChecksumMismatchException(archive, options.Sha256.ToLowerInvariant(), actual);
            }
            // The archive's own folder may be read-only (a shared data folder), so it is extracted into the cache.
            string datasets = Path.Combine(FileFetcher.ResolveCacheDirectory(options.CacheDirectory), "datasets");
            extracted = ArchiveExtractor.DefaultDestination(Path.Combine(datasets, Path.GetFileName(archive)));
            ArchiveExtractor.Extract(archive, extracted, force: false, options.Logger, cancellationToken);
        }
        else
        {
            throw new FileNotFoundException($"IMDB source '{options.Source}' is neither an archive nor a folder.", options.Source);
        }
        return FindDatasetRoot(extracted);
    }

    /// <summary>
    /// The seed's <c>download_and_load_datasets()</c>: gets the dataset as <see cref="GetDatasetDirectoryAsync"/>
    /// does and loads its <c>train</c> and <c>test</c> splits with <see cref="LoadDataset(string, ImdbOptions?)"/>
    /// (25,000 shuffled reviews each).
    /// </summary>
    /// <param name="options">Source, cache, download, seed and reading settings; <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives byte counts while downloading.</param>
    /// <param name="cancellationToken">Stops the download or extraction.</param>
    /// <returns>The training and test data frames.</returns>
    /// <exception cref="DownloadException">The download failed.</exception>
    /// <exception cref="ChecksumMismatchException">The archive is not the one <see cref="ImdbOptions.Sha256"/> names.</exception>
    /// <exception cref="ArchiveExtractionException">The archive is corrupt or unsafe.</exception>
    /// <exception cref="DatasetFormatException">A review file is malformed.</exception>
    public static async Task<(DataFrame Train, DataFrame Test)> DownloadAndLoadDatasetsAsync(ImdbOptions? options = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options = Validated(options);
        string root = await GetDatasetDirectoryAsync(options, progress, cancellationToken).ConfigureAwait(false);
        DataFrame train = LoadDataset(Path.Combine(root, "train"), options);
        cancellationToken.ThrowIfCancellationRequested();
        DataFrame test = LoadDataset(Path.Combine(root, "test"), options);
        return (train, test);
    }

    /// <summary>A permutation of 0..count-1 by Fisher-Yates on a seeded <see cref="Random"/>, whose sequence .NET keeps stable for a given seed.</summary>
    internal static int[] Shuffled(int count, int seed)
    {
        int[] order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;
        var random = new Random(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ImdbOptions Validated(ImdbOptions? options)
    {
        options ??= new ImdbOptions();
        options.ThrowIfInvalid(nameof(options));
        return options;
    }

    private static string FindDatasetRoot(string folder)
    {
        foreach (string candidate in new[] { folder, Path.Combine(folder, "aclImdb") })
        {
            if (Directory.Exists(Path.Combine(candidate, "train")) && Directory.Exists(Path.Combine(candidate, "test")))
                return candidate;
        }
        throw new DirectoryNotFoundException(
            $"'{folder}' does not hold the IMDB dataset: expected 'train' and 'test' folders in it or in 'aclImdb' below it; found {Listing(folder)}.");
    }

    private static void RequireFolders(string split, params string[] names)
    {
        if (!Directory.Exists(split))
            throw new DirectoryNotFoundException($"IMDB split folder '{split}' does not exist.");
        foreach (string name in names)
        {
            if (!Directory.Exists(Path.Combine(split, name)))
                throw new DirectoryNotFoundException(
                    $"IMDB split folder '{split}' has no '{name}' folder (expected '{string.Join("' and '", names)}'); found {Listing(split)}.");
        }
    }

    private static string Listing(string folder)
    {
        if (!Directory.Exists(folder))
            return "nothing (the folder does not exist)";
        string[] entries = Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).Take(11).ToArray();
        return entries.Length == 0 ? "an empty folder"
            : string.Join(", ", entries.Take(10).Select(e => $"'{e}'")) + (entries.Length > 10 ? ", ..." : "");
    }
}
