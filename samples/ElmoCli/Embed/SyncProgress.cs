namespace ElmoCli.Embed;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (<see cref="Progress{T}"/> posts to the thread pool, out of order).</summary>
internal sealed class SyncProgress(Action<long> report) : IProgress<long>
{
    public void Report(long value) => report(value);
}
