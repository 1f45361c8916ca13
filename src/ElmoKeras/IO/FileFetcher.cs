namespace ElmoKeras.IO;

/// <summary>
/// Cached downloads with Keras <c>get_file</c> semantics: a file is fetched once into a cache folder,
/// optionally checked against a SHA-256 and extracted, and served from the cache afterwards.
/// </summary>
/// <remarks>
/// A download goes to <c>&lt;file&gt;.download</c> beside the target and is renamed only when it is
/// complete and its hash matches, so the cache never holds a partial or corrupt file under the
/// target's name. A <c>&lt;file&gt;.lock</c> file serialises processes filling the same entry.
/// </remarks>
public static class FileFetcher
{
    /// <summary>The environment variable that overrides the default cache root.</summary>
    public const string CacheDirectoryEnvironmentVariable = "ELMOKERAS_HOME";

    /// <summary>
    /// The cache root to use: <paramref name="cacheDirectory"/> when given, else the
    /// <c>ELMOKERAS_HOME</c> environment variable when set and not empty, else <c>.elmokeras</c> in
    /// the user's home folder (or in the temporary folder when there is no home folder).
    /// </summary>
    /// <param name="cacheDirectory">An explicit cache root, or <see langword="null"/>.</param>
    /// <returns>A full path; the folder is not created.</returns>
    public static string ResolveCacheDirectory(string? cacheDirectory = null) =>
        ResolveCacheDirectoryCore(cacheDirectory, Environment.GetEnvironmentVariable);

    internal static string ResolveCacheDirectoryCore(string? cacheDirectory, Func<string, string?> getEnvironmentVariable)
    {
        if (!string.IsNullOrWhiteSpace(cacheDirectory))
            return Path.GetFullPath(cacheDirectory);
        string? fromEnvironment = getEnvironmentVariable(CacheDirectoryEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return Path.GetFullPath(fromEnvironment);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".elmokeras");
    }

    /// <summary>
    /// Returns the cached copy of <paramref name="origin"/>, downloading it first when it is missing,
    /// fails the hash check, or <see cref="GetFileOptions.Force"/> is set; and extracts it when
    /// <see cref="GetFileOptions.Extract"/> is set.
    /// </summary>
    /// <param name="fileName">
    /// The cached file's name inside <c>&lt;cache&gt;/&lt;subdirectory&gt;</c>, or an absolute path to
    /// store it at exactly.
    /// </param>
    /// <param name="origin">The absolute http(s) URL to download from.</param>
    /// <param name="options">Cache location, hash, extraction and retry settings; <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives byte counts while downloading.</param>
    /// <param name="cancellationToken">Stops the download or extraction; nothing partial is left behind.</param>
    /// <returns>The cached file's path, the extraction folder when asked for, and whether this call downloaded.</returns>
    /// <exception cref="ArgumentException">A bad file name, URL or option.</exception>
    /// <exception cref="DownloadException">The server answered with an error, retries ran out, or the disk is full.</exception>
    /// <exception cref="ChecksumMismatchException">The downloaded file's SHA-256 is not <see cref="DownloadOptions.Sha256"/>.</exception>
    /// <exception cref="ArchiveExtractionException">The archive is corrupt or has an entry that would land outside its folder.</exception>
    public static async Task<CachedFile> GetFileAsync(string fileName, Uri origin, GetFileOptions? options = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ThrowIfNotHttp(origin);
        options ??= new GetFileOptions();
        options.ThrowIfInvalid(nameof(options));

        string filePath;
        if (Path.IsPathFullyQualified(fileName))
        {
            filePath = Path.GetFullPath(fileName);
        }
        else
        {
            if (PathSafety.TrySplit(fileName, out string[] segments) is not null || segments.Length != 1 || Path.IsPathRooted(fileName))
                throw new ArgumentException($"The file name must be a plain name or an absolute path, got '{fileName}'.", nameof(fileName));
            string folder = Path.Combine(ResolveCacheDirectory(options.CacheDirectory), options.CacheSubdirectory);
            filePath = Path.GetFullPath(Path.Combine(folder, segments[0]));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);

        bool downloaded = false;
        using (await FileLock.AcquireAsync(filePath + ".lock", options.Logger, cancellationToken).ConfigureAwait(false))
        {
            Downloader.DeleteLeftover(filePath);
            if (await NeedsDownloadAsync(filePath, options, cancellationToken).ConfigureAwait(false))
            {
                await Downloader.DownloadAsync(origin, filePath, options, progress, cancellationToken).ConfigureAwait(false);
                downloaded = true;
            }
            else
            {
                IoLog.UsingCachedFile(options.Logger, filePath, origin);
            }
        }

        string? extracted = null;
        if (options.Extract)
        {
            extracted = ArchiveExtractor.DefaultDestination(filePath);
            ArchiveExtractor.Extract(filePath, extracted, options.Force, options.Logger, cancellationToken);
        }
        return new CachedFile(filePath, extracted, downloaded);
    }

    /// <summary>
    /// Downloads <paramref name="origin"/> to exactly <paramref name="destinationPath"/>, replacing any
    /// file there, through a temporary file beside it that is renamed only when complete and verified.
    /// Use this when the caller manages its own cache layout; <see cref="GetFileAsync"/> adds the cache.
    /// </summary>
    /// <param name="origin">The absolute http(s) URL to download from.</param>
    /// <param name="destinationPath">Where the file goes; its folder is created when missing.</param>
    /// <param name="options">Hash and retry settings; <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives byte counts while downloading.</param>
    /// <param name="cancellationToken">Stops the download; nothing partial is left behind.</param>
    /// <exception cref="ArgumentException">A bad URL, path or option.</exception>
    /// <exception cref="DownloadException">The server answered with an error, retries ran out, or the disk is full.</exception>
    /// <exception cref="ChecksumMismatchException">The downloaded file's SHA-256 is not <see cref="DownloadOptions.Sha256"/>.</exception>
    public static async Task DownloadFileAsync(Uri origin, string destinationPath, DownloadOptions? options = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotHttp(origin);
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationPath);
        options ??= new DownloadOptions();
        options.ThrowIfInvalid(nameof(options));
        string fullPath = Path.GetFullPath(destinationPath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        using (await FileLock.AcquireAsync(fullPath + ".lock", options.Logger, cancellationToken).ConfigureAwait(false))
        {
            Downloader.DeleteLeftover(fullPath);
            await Downloader.DownloadAsync(origin, fullPath, options, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<bool> NeedsDownloadAsync(string filePath, GetFileOptions options, CancellationToken cancellationToken)
    {
        if (options.Force || !File.Exists(filePath))
            return true;
        if (options.Sha256 is null)
            return false;
        string actual = await Hashing.ComputeSha256Async(filePath, cancellationToken).ConfigureAwait(false);
        if (Hashing.Matches(options.Sha256, actual))
            return false;
        IoLog.CachedFileHashMismatch(options.Logger, filePath, actual, options.Sha256);
        return true;
    }

    private static void ThrowIfNotHttp(Uri origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        if (!origin.IsAbsoluteUri || (origin.Scheme != Uri.UriSchemeHttp && origin.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"The origin must be an absolute http or https URL, got '{origin}'.", nameof(origin));
    }
}
