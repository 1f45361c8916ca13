using Microsoft.Extensions.Logging;

namespace ElmoKeras.Data;

/// <summary>The Data folder's log messages, source-generated so disabled levels cost nothing.</summary>
internal static partial class DataLog
{
    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "Skipping malformed review file {FilePath}: {Reason}")]
    internal static partial void SkippedReviewFile(ILogger logger, string filePath, string reason);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Skipped {Skipped} malformed files of {Total} in {Directory}: {BadNames} with names not matching <id>_<rating>.txt, {InvalidUtf8} not UTF-8, {Empty} empty")]
    internal static partial void SkippedReviewFiles(ILogger logger, string directory, int skipped, int total, int badNames, int invalidUtf8, int empty);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Debug, Message = "Read {Count} reviews from {Directory} in {Milliseconds:0} ms")]
    internal static partial void ReadReviews(ILogger logger, int count, string directory, double milliseconds);
}
