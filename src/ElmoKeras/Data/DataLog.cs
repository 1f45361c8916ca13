using Microsoft.Extensions.Logging;

namespace ElmoKeras.Data;

/// <summary>The Data folder's log messages, source-generated so disabled levels cost nothing.</summary>
internal static partial class DataLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Downloading {Origin} ({TotalBytes} bytes) to {TemporaryPath}")]
    internal static partial void Downloading(ILogger logger, Uri origin, long? totalBytes, string temporaryPath);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Downloaded {Origin}: {Bytes} bytes, SHA-256 {Sha256}")]
    internal static partial void Downloaded(ILogger logger, Uri origin, long bytes, string sha256);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Debug, Message = "Downloading {Origin}: {BytesReceived} of {TotalBytes} bytes")]
    internal static partial void DownloadProgress(ILogger logger, Uri origin, long bytesReceived, long? totalBytes);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Download of {Origin} failed ({Reason}); retry {Retry} of {MaxRetries} in {Delay}")]
    internal static partial void RetryingDownload(ILogger logger, Uri origin, int retry, int maxRetries, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Using cached {FilePath} for {Origin}")]
    internal static partial void UsingCachedFile(ILogger logger, string filePath, Uri origin);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Cached {FilePath} has SHA-256 {Actual}, expected {Expected}; downloading it again")]
    internal static partial void CachedFileHashMismatch(ILogger logger, string filePath, string actual, string expected);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Waiting for another process holding {LockPath}")]
    internal static partial void WaitingForLock(ILogger logger, string lockPath);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Extracting {ArchivePath} into {Destination}")]
    internal static partial void Extracting(ILogger logger, string archivePath, string destination);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Extracted {FileCount} files from {ArchivePath} into {Destination} in {Seconds:0.0} s")]
    internal static partial void Extracted(ILogger logger, string archivePath, int fileCount, string destination, double seconds);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Debug, Message = "{Destination} already holds the extraction of {ArchivePath}")]
    internal static partial void AlreadyExtracted(ILogger logger, string archivePath, string destination);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "Skipping malformed review file {FilePath}: {Reason}")]
    internal static partial void SkippedReviewFile(ILogger logger, string filePath, string reason);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Skipped {Skipped} malformed files of {Total} in {Directory}: {BadNames} with names not matching <id>_<rating>.txt, {InvalidUtf8} not UTF-8, {Empty} empty")]
    internal static partial void SkippedReviewFiles(ILogger logger, string directory, int skipped, int total, int badNames, int invalidUtf8, int empty);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Debug, Message = "Read {Count} reviews from {Directory} in {Milliseconds:0} ms")]
    internal static partial void ReadReviews(ILogger logger, int count, string directory, double milliseconds);
}
