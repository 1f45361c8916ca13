using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ElmoKeras.IO;

/// <summary>How <see cref="FileFetcher.DownloadFileAsync"/> downloads a file.</summary>
public record DownloadOptions
{
    /// <summary>
    /// The client to send requests with.
    /// </summary>
    /// <value>Default <see langword="null"/>: a client is created for the call and disposed after it.</value>
    public HttpClient? HttpClient { get; init; }

    /// <summary>
    /// The SHA-256 the file must have, as 64 hexadecimal digits (either case). A download whose hash
    /// differs is discarded with a <see cref="ChecksumMismatchException"/>.
    /// </summary>
    /// <value>Default <see langword="null"/>: no check.</value>
    public string? Sha256 { get; init; }

    /// <summary>
    /// How many times a transient failure (connection refused or dropped, timeout, stalled transfer,
    /// HTTP 408, 429 or 5xx) is retried before giving up. Other HTTP errors, hash mismatches and a
    /// full disk are not retried.
    /// </summary>
    /// <value>Default 3; must be 0 or more.</value>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The wait before the first retry; it doubles for each further retry, up to one minute.</summary>
    /// <value>Default 1 second; must not be negative.</value>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a transfer may go without receiving a byte before it counts as a transient failure.
    /// (<see cref="System.Net.Http.HttpClient.Timeout"/> only bounds the wait for the response headers here.)
    /// </summary>
    /// <value>Default 60 seconds; must be positive or <see cref="Timeout.InfiniteTimeSpan"/>.</value>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock that the waits between retries run on; tests substitute their own.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where progress, retries and cache hits are logged.</summary>
    /// <value>Default <see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Lists every invalid setting; empty when all are valid.</summary>
    internal virtual List<string> Validate()
    {
        var errors = new List<string>();
        if (Sha256 is not null && !Hashing.IsSha256Hex(Sha256))
            errors.Add($"{nameof(Sha256)} must be 64 hexadecimal digits, got '{Sha256}'.");
        if (MaxRetries < 0)
            errors.Add($"{nameof(MaxRetries)} must be 0 or more, got {MaxRetries}.");
        if (InitialRetryDelay < TimeSpan.Zero)
            errors.Add($"{nameof(InitialRetryDelay)} must not be negative, got {InitialRetryDelay}.");
        if (StallTimeout <= TimeSpan.Zero && StallTimeout != Timeout.InfiniteTimeSpan)
            errors.Add($"{nameof(StallTimeout)} must be positive or infinite, got {StallTimeout}.");
        if (TimeProvider is null)
            errors.Add($"{nameof(TimeProvider)} must not be null.");
        if (Logger is null)
            errors.Add($"{nameof(Logger)} must not be null.");
        return errors;
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every invalid setting.</summary>
    internal void ThrowIfInvalid(string paramName)
    {
        List<string> errors = Validate();
        if (errors.Count > 0)
            throw new ArgumentException($"Invalid {GetType().Name}: {string.Join(" ", errors)}", paramName);
    }
}
