namespace ElmoKeras.Data;

/// <summary>
/// A dataset file is malformed: its name does not follow the dataset's pattern, it is not valid
/// UTF-8, or it holds no text. The message names the file and says what was expected.
/// </summary>
public class DatasetFormatException : IOException
{
    /// <summary>Creates the exception; the message names the file and what was wrong.</summary>
    /// <param name="filePath">The malformed file.</param>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="inner">The lower-level cause, if any.</param>
    public DatasetFormatException(string filePath, string message, Exception? inner = null)
        : base(message, inner)
    {
        FilePath = filePath;
    }

    /// <summary>The malformed file.</summary>
    public string FilePath { get; }
}
