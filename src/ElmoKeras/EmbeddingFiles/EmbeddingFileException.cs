namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// An embedding file or shard set is missing, malformed or does not belong with the others. The
/// message names the file and what differs.
/// </summary>
public class EmbeddingFileException : Exception
{
    /// <summary>Creates the exception with a message that names the file and what was wrong.</summary>
    public EmbeddingFileException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the lower-level cause.</summary>
    public EmbeddingFileException(string message, Exception inner) : base(message, inner) { }
}
