using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ElmoKeras.IO;

namespace ElmoKeras.Data;

/// <summary>Where <see cref="Imdb"/> gets the Large Movie Review Dataset and how it reads it.</summary>
public sealed record ImdbOptions
{
    /// <summary>
    /// A local copy to use instead of downloading: the archive (<c>aclImdb_v1.tar.gz</c>, extracted
    /// into the cache) or an extracted folder (<c>aclImdb</c> itself or the folder holding it).
    /// </summary>
    /// <value>Default <see langword="null"/>: download <see cref="Origin"/> into the cache.</value>
    public string? Source { get; init; }

    /// <summary>The URL of the archive.</summary>
    /// <value>Default <see cref="Imdb.DefaultOrigin"/> (Stanford's copy).</value>
    public Uri Origin { get; init; } = Imdb.DefaultOrigin;

    /// <summary>
    /// The SHA-256 the archive must have (downloaded or given as <see cref="Source"/>), as 64 hexadecimal digits.
    /// </summary>
    /// <value>Default <see langword="null"/>: no check.</value>
    public string? Sha256 { get; init; }

    /// <summary>The cache root; the archive and its extraction go into its <c>datasets</c> folder.</summary>
    /// <value>Default <see langword="null"/>: see <see cref="FileFetcher.ResolveCacheDirectory"/>.</value>
    public string? CacheDirectory { get; init; }

    /// <summary>The client to download with.</summary>
    /// <value>Default <see langword="null"/>: a client is created for the download.</value>
    public HttpClient? HttpClient { get; init; }

    /// <summary>The seed of the shuffle in <see cref="Imdb.LoadDataset(string, ImdbOptions?)"/>; the same seed gives the same order on every platform and .NET version.</summary>
    /// <value>Default 0.</value>
    public int Seed { get; init; }

    /// <summary>
    /// Whether to replace the HTML line breaks that fill IMDB reviews (<c>&lt;br /&gt;</c>, <c>&lt;br/&gt;</c>,
    /// <c>&lt;br&gt;</c>, any case) with a space while reading, as <see cref="Text.RemoveLineBreakTags"/> does.
    /// Off by default so the text matches the seed recipe's.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool RemoveLineBreakTags { get; init; }

    /// <summary>What to do with a malformed review file.</summary>
    /// <value>Default <see cref="MalformedFileHandling.Throw"/>.</value>
    public MalformedFileHandling MalformedFiles { get; init; } = MalformedFileHandling.Throw;

    /// <summary>How many files are read at once.</summary>
    /// <value>Default <see langword="null"/>: the processor count, at least 4 (reads wait on the disk more than the CPU).</value>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>Where downloads, extraction and skipped files are logged.</summary>
    /// <value>Default <see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    internal void ThrowIfInvalid(string paramName)
    {
        var errors = new List<string>();
        if (Origin is null)
            errors.Add($"{nameof(Origin)} must not be null.");
        if (Sha256 is not null && !Hashing.IsSha256Hex(Sha256))
            errors.Add($"{nameof(Sha256)} must be 64 hexadecimal digits, got '{Sha256}'.");
        if (!Enum.IsDefined(MalformedFiles))
            errors.Add($"{nameof(MalformedFiles)} must be Throw or Skip, got {(int)MalformedFiles}.");
        if (MaxDegreeOfParallelism is < 1)
            errors.Add($"{nameof(MaxDegreeOfParallelism)} must be at least 1, got {MaxDegreeOfParallelism}.");
        if (Logger is null)
            errors.Add($"{nameof(Logger)} must not be null.");
        if (errors.Count > 0)
            throw new ArgumentException($"Invalid {nameof(ImdbOptions)}: {string.Join(" ", errors)}", paramName);
    }
}
