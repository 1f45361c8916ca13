using Microsoft.Extensions.Logging;

namespace ElmoKeras.IO;

/// <summary>The IO folder's log messages (downloads, locks, extraction), source-generated so disabled levels cost nothing.</summary>
internal static partial class IoLog
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
}
