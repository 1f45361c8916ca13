namespace ElmoKeras.IO;

/// <summary>
/// An archive could not be extracted: it is corrupt or of an unsupported kind, or one of its
/// entries would be written outside the target folder (<c>../</c>, an absolute path, or a link
/// pointing elsewhere). The message names the archive and the entry. Nothing is left in the
/// target folder.
/// </summary>
public class ArchiveExtractionException : IOException
{
    /// <summary>Creates the exception; the message names the archive and, when known, the entry.</summary>
    /// <param name="archivePath">The archive being extracted.</param>
    /// <param name="entryName">The entry at fault, or <see langword="null"/> when the archive as a whole is at fault.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The lower-level cause, if any.</param>
    public ArchiveExtractionException(string archivePath, string? entryName, string message, Exception? inner = null)
        : base(message, inner)
    {
        ArchivePath = archivePath;
        EntryName = entryName;
    }

    /// <summary>The archive being extracted.</summary>
    public string ArchivePath { get; }

    /// <summary>The entry at fault, or <see langword="null"/> when the archive as a whole is at fault.</summary>
    public string? EntryName { get; }
}
