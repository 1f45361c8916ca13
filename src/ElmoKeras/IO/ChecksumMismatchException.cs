namespace ElmoKeras.IO;

/// <summary>
/// A file's SHA-256 differs from the expected one. Raised after a download (the bad file is deleted)
/// or when a local archive given as a source does not match.
/// </summary>
public class ChecksumMismatchException : IOException
{
    /// <summary>Creates the exception; the message names the file and both hashes.</summary>
    /// <param name="filePath">The file whose content was checked.</param>
    /// <param name="expectedSha256">The SHA-256 the caller expected, as lowercase hex.</param>
    /// <param name="actualSha256">The SHA-256 of the content received, as lowercase hex.</param>
    /// <param name="origin">The URL the content came from, when it was downloaded.</param>
    public ChecksumMismatchException(string filePath, string expectedSha256, string actualSha256, Uri? origin = null)
        : base(BuildMessage(filePath, expectedSha256, actualSha256, origin))
    {
        FilePath = filePath;
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
        Origin = origin;
    }

    /// <summary>The file whose content was checked.</summary>
    public string FilePath { get; }

    /// <summary>The SHA-256 the caller expected, as lowercase hex.</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The SHA-256 of the content received, as lowercase hex.</summary>
    public string ActualSha256 { get; }

    /// <summary>The URL the content came from, or <see langword="null"/> for a local file.</summary>
    public Uri? Origin { get; }

    private static string BuildMessage(string filePath, string expected, string actual, Uri? origin) =>
        origin is null
            ? $"SHA-256 of '{filePath}' is {actual}, expected {expected}. The file is corrupt or not the one expected."
            : $"SHA-256 of the file downloaded from '{origin}' is {actual}, expected {expected}; the download was discarded and '{filePath}' was not written. The server sent different content or the expected hash is wrong.";
}
