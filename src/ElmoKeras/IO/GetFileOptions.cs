namespace ElmoKeras.IO;

/// <summary>Where <see cref="FileFetcher.GetFileAsync"/> caches a file and what it does with it.</summary>
public sealed record GetFileOptions : DownloadOptions
{
    /// <summary>
    /// The cache's root folder.
    /// </summary>
    /// <value>
    /// Default <see langword="null"/>: the <c>ELMOKERAS_HOME</c> environment variable when set,
    /// otherwise <c>.elmokeras</c> in the user's home folder (see <see cref="FileFetcher.ResolveCacheDirectory"/>).
    /// </value>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// The folder under <see cref="CacheDirectory"/> the file goes into; a relative path without
    /// <c>..</c>, or empty for the root itself. Ignored when the file name is an absolute path.
    /// </summary>
    /// <value>Default <c>"datasets"</c>.</value>
    public string CacheSubdirectory { get; init; } = "datasets";

    /// <summary>
    /// Whether to extract the file (tar, tar.gz/tgz or zip, recognised by content) into a folder
    /// beside it named after it without the archive extension, using <see cref="ArchiveExtractor.Extract"/>.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Extract { get; init; }

    /// <summary>Whether to download again (and re-extract) even when the cached file is present and valid.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Force { get; init; }

    internal override List<string> Validate()
    {
        List<string> errors = base.Validate();
        if (CacheSubdirectory is null)
            errors.Add($"{nameof(CacheSubdirectory)} must not be null; use \"\" for the cache root.");
        else if (!PathSafety.IsPlainRelativePath(CacheSubdirectory))
            errors.Add($"{nameof(CacheSubdirectory)} must be a relative path without '..', got '{CacheSubdirectory}'.");
        return errors;
    }
}
