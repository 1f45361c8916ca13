namespace ElmoKeras.Weights;

/// <summary>
/// A weight, options or checkpoint file is missing, malformed, or does not match what the model
/// expects. The message names the file and the variable and says what was expected.
/// </summary>
public class WeightFormatException : Exception
{
    /// <summary>Creates the exception with a message that names the file and what was wrong.</summary>
    public WeightFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the lower-level cause.</summary>
    public WeightFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The file the problem was found in, when known.</summary>
    public string? FilePath { get; init; }
}
