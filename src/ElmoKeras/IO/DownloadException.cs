using System.Net;

namespace ElmoKeras.IO;

/// <summary>
/// A download failed: the server answered with an error status, the connection kept failing after
/// the allowed retries, or the disk filled up. The message names the URL and says what happened;
/// nothing is left in the cache.
/// </summary>
public class DownloadException : IOException
{
    /// <summary>Creates the exception for <paramref name="origin"/>.</summary>
    /// <param name="origin">The URL that was being downloaded.</param>
    /// <param name="message">What went wrong, naming the URL.</param>
    /// <param name="statusCode">The HTTP status the server answered with, when it answered.</param>
    /// <param name="inner">The lower-level cause, if any.</param>
    public DownloadException(Uri origin, string message, HttpStatusCode? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentNullException.ThrowIfNull(origin);
        Origin = origin;
        StatusCode = statusCode;
    }

    /// <summary>The URL that was being downloaded.</summary>
    public Uri Origin { get; }

    /// <summary>The HTTP status of the failed response, or <see langword="null"/> when the failure was not an HTTP status.</summary>
    public HttpStatusCode? StatusCode { get; }
}
