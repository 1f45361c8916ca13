using Microsoft.Extensions.Logging;

namespace ElmoKeras.IO;

/// <summary>
/// An exclusive lock on a <c>.lock</c> file, held by this process for one download or extraction so
/// that two processes filling the same cache entry take turns (and so a leftover temporary file can
/// only be a dead process's, safe to remove). The lock file itself stays: deleting it would let two
/// holders race on different files of the same name.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(1);
    private readonly FileStream stream;

    private FileLock(FileStream stream) => this.stream = stream;

    /// <summary>Waits (polling) until the lock is free, then takes it.</summary>
    internal static async Task<FileLock> AcquireAsync(string lockPath, ILogger logger, CancellationToken cancellationToken)
    {
        var wait = new Waiting(lockPath, logger);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryOpen(lockPath) is FileStream stream) return new FileLock(stream);
            await Task.Delay(wait.Next(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Blocking form of <see cref="AcquireAsync"/> for synchronous callers.</summary>
    internal static FileLock Acquire(string lockPath, ILogger logger, CancellationToken cancellationToken)
    {
        var wait = new Waiting(lockPath, logger);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryOpen(lockPath) is FileStream stream) return new FileLock(stream);
            cancellationToken.WaitHandle.WaitOne(wait.Next());
        }
    }

    /// <summary>The polling schedule of one wait (50 ms doubling to 1 s), logged once.</summary>
    private sealed class Waiting(string lockPath, ILogger logger)
    {
        private TimeSpan poll = TimeSpan.FromMilliseconds(50);
        private bool logged;

        public TimeSpan Next()
        {
            if (!logged)
            {
                IoLog.WaitingForLock(logger, lockPath);
                logged = true;
            }
            TimeSpan current = poll;
            poll = poll * 2 < MaxPoll ? poll * 2 : MaxPoll;
            return current;
        }
    }

    private static FileStream? TryOpen(string lockPath)
    {
        try
        {
            // FileShare.None is an exclusive OS lock: a sharing mode on Windows, flock(LOCK_EX) on Unix.
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (IsLockHeld(ex))
        {
            return null;
        }
    }

    // Windows: ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION; Unix: flock's EWOULDBLOCK (11 on Linux, 35 on macOS).
    private static bool IsLockHeld(IOException ex) =>
        ex.GetType() == typeof(IOException) &&
        (OperatingSystem.IsWindows()
            ? (ex.HResult & 0xFFFF) is 32 or 33
            : ex.HResult is 11 or 35);

    public void Dispose() => stream.Dispose();
}
