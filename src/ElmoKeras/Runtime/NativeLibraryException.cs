namespace ElmoKeras.Runtime;

/// <summary>
/// TorchSharp's native libraries could not be loaded. The message says what is missing on this
/// machine and how to install it; <see cref="Exception.InnerException"/> keeps TorchSharp's own error.
/// </summary>
public sealed class NativeLibraryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NativeLibraryException(string message, Exception? inner) : base(message, inner) { }
}
