using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace ElmoKeras.IO;

/// <summary>
/// One verified download: GET into a temporary file beside the destination, hash while writing,
/// rename only when complete and verified, retry transient failures with doubling delays.
/// Callers hold the destination's <see cref="FileLock"/>, so the temporary name can be fixed.
/// </summary>
internal static class Downloader
{
    internal const string TemporarySuffix = ".download";
    private const int BufferSize = 1 << 16;
    private const long ProgressStep = 1 << 20;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    internal static async Task DownloadAsync(Uri origin, string destinationPath, DownloadOptions options, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        HttpClient client = options.HttpClient ?? new HttpClient();
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    await AtomicFile.WriteLockedAsync(destinationPath, TemporarySuffix,
                        temporaryPath => DownloadOnceAsync(client, origin, temporaryPath, options, progress, cancellationToken)).ConfigureAwait(false);
                    return;
                }
                catch (TransientDownloadException ex)
                {
                    if (attempt >= options.MaxRetries)
                    {
                        string attempts = attempt == 0 ? "1 attempt" : $"{attempt + 1} attempts";
                        throw new DownloadException(origin, $"Downloading '{origin}' failed after {attempts}: {ex.Message}", ex.StatusCode, ex.InnerException);
                    }
                    TimeSpan delay = RetryDelay(options.InitialRetryDelay, attempt);
                    IoLog.RetryingDownload(options.Logger, origin, attempt + 1, options.MaxRetries, delay, ex.Message);
                    await Task.Delay(delay, options.TimeProvider, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (options.HttpClient is null)
                client.Dispose();
        }
    }

    // Roughly ten log lines per download (every 10 MiB when the size is unknown), at least 1 MiB apart.
    private static long LogStep(long? total) => Math.Max(ProgressStep, total is long t ? t / 10 : 10 * ProgressStep);

    internal static TimeSpan RetryDelay(TimeSpan initial, int attempt)
    {
        double ticks = initial.Ticks * Math.Pow(2, attempt);
        return ticks >= MaxRetryDelay.Ticks ? MaxRetryDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Removes a temporary file a dead process left behind (the caller holds the lock).</summary>
    internal static void DeleteLeftover(string destinationPath) => AtomicFile.DeleteLeftover(destinationPath, TemporarySuffix);

    private static async Task DownloadOnceAsync(HttpClient client, Uri origin, string temporaryPath, DownloadOptions options, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(client, origin, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string reason = $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
            if (IsTransientStatus(response.StatusCode))
                throw new TransientDownloadException(reason, response.StatusCode);
            throw new DownloadException(origin, $"Downloading '{origin}' failed: {reason}. Check the URL.", response.StatusCode);
        }

        long? total = response.Content.Headers.ContentLength;
        IoLog.Downloading(options.Logger, origin, total, temporaryPath);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        // Unbuffered (bufferSize 0): network reads arrive in large blocks anyway, and a failed write then
        // leaves nothing buffered for Dispose to retry and fail on again (which would hide a full disk).
        await using (var file = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true))
        {
            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransientTransferError(ex, cancellationToken))
            {
                throw new TransientDownloadException(ex.Message, null, ex);
            }
            await using (body.ConfigureAwait(false))
            {
                byte[] buffer = new byte[BufferSize];
                long nextReport = 0, nextLog = LogStep(total);
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                while (true)
                {
                    int read;
                    try
                    {
                        // Re-armed before each read: HttpClient.Timeout stops at the headers, so a server that
                        // stops sending mid-body would otherwise hang the download forever.
                        if (options.StallTimeout != Timeout.InfiniteTimeSpan)
                            stall.CancelAfter(options.StallTimeout);
                        read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsTransientTransferError(ex, cancellationToken))
                    {
                        string why = ex is OperationCanceledException
                            ? $"no data for {options.StallTimeout.TotalSeconds:0.#} s after {received:N0} bytes"
                            : $"the connection failed after {received:N0} bytes ({ex.Message})";
                        throw new TransientDownloadException(why, null, ex);
                    }
                    if (read == 0)
                        break;
                    try
                    {
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException ex) when (DiskErrors.IsDiskFull(ex))
                    {
                        throw DiskFull(origin, temporaryPath, received, ex);
                    }
                    hash.AppendData(buffer, 0, read);
                    received += read;
                    if (received >= nextReport)
                    {
                        progress?.Report(new DownloadProgress(origin, received, total));
                        nextReport = received + ProgressStep;
                    }
                    if (received >= nextLog)
                    {
                        IoLog.DownloadProgress(options.Logger, origin, received, total);
                        nextLog = received + LogStep(total);
                    }
                }
            }
            if (total is long expected && received != expected)
                throw new TransientDownloadException($"the server announced {expected:N0} bytes but sent {received:N0}", null);
            try
            {
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            catch (IOException ex) when (DiskErrors.IsDiskFull(ex))
            {
                throw DiskFull(origin, temporaryPath, received, ex);
            }
        }
        progress?.Report(new DownloadProgress(origin, received, total));

        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (options.Sha256 is string expectedHash && !Hashing.Matches(expectedHash, actual))
            throw new ChecksumMismatchException(temporaryPath[..^TemporarySuffix.Length], expectedHash.ToLowerInvariant(), actual, origin);
        IoLog.Downloaded(options.Logger, origin, received, actual);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, Uri origin, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetAsync(origin, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransientTransferError(ex, cancellationToken))
        {
            string why = ex is OperationCanceledException ? $"no response within {client.Timeout.TotalSeconds:0.#} s" : ex.Message;
            throw new TransientDownloadException(why, null, ex);
        }
    }

    private static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    // A cancellation the caller did not ask for is a timeout: worth another try.
    private static bool IsTransientTransferError(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or IOException ||
        (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static DownloadException DiskFull(Uri origin, string temporaryPath, long written, IOException ex) =>
        new(origin, $"Ran out of disk space writing '{temporaryPath}' after {written:N0} bytes while downloading '{origin}'. " +
                    $"Free space in '{Path.GetDirectoryName(temporaryPath)}' or point the cache elsewhere (ELMOKERAS_HOME or the CacheDirectory option).",
            inner: ex);

    /// <summary>A failure worth retrying; turned into a <see cref="DownloadException"/> when retries run out.</summary>
    private sealed class TransientDownloadException(string message, HttpStatusCode? statusCode, Exception? inner = null)
        : Exception(message, inner)
    {
        public HttpStatusCode? StatusCode { get; } = statusCode;
    }
}
