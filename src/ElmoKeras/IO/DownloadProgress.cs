namespace ElmoKeras.IO;

/// <summary>How far a download has come.</summary>
/// <param name="Origin">The URL being downloaded.</param>
/// <param name="BytesReceived">Bytes received so far in the current attempt (a retry starts again from 0).</param>
/// <param name="TotalBytes">The size the server announced, or <see langword="null"/> when it did not say.</param>
public readonly record struct DownloadProgress(Uri Origin, long BytesReceived, long? TotalBytes)
{
    /// <summary>The fraction received, between 0 and 1, or <see langword="null"/> when the size is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? (double)BytesReceived / TotalBytes.Value : null;
}
