namespace ElmoKeras.Elmo;

/// <summary>
/// An ELMo options file (or options inferred from weights) is malformed or out of range. The message
/// names the file and the setting (e.g. <c>lstm.projection_dim</c>) and says what was expected.
/// </summary>
public class ElmoOptionsException : Exception
{
    /// <summary>Creates the exception with a message that names the file and the setting.</summary>
    public ElmoOptionsException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the lower-level cause (e.g. a JSON error).</summary>
    public ElmoOptionsException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The file the problem was found in, when known.</summary>
    public string? FilePath { get; init; }
}
