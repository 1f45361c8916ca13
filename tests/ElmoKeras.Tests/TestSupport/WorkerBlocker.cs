using ElmoKeras.Batching;

namespace ElmoKeras.Tests.TestSupport;

/// <summary>
/// Blocks an <see cref="ElmoBatcher"/>'s worker inside its BatchCompleted event until released: a busy
/// model, deterministically, so that tests can fill the queue, cancel or drain while it waits.
/// </summary>
internal sealed class WorkerBlocker : IDisposable
{
    private readonly ManualResetEventSlim release = new();
    private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int blocked;

    private WorkerBlocker(ElmoBatcher batcher) => batcher.BatchCompleted += (_, _) =>
    {
        if (Interlocked.Exchange(ref blocked, 1) != 0) return;
        entered.SetResult();
        // Bounded, so that a failed test cannot hang the worker for ever.
        release.Wait(TimeSpan.FromSeconds(30));
    };

    /// <summary>Submits one sentence and returns once the worker sits blocked after running it.</summary>
    /// <remarks>The event comes before the sentence's caller resumes, so its call completes on release.</remarks>
    public static async Task<WorkerBlocker> BlockAsync(ElmoBatcher batcher)
    {
        var blocker = new WorkerBlocker(batcher);
        _ = batcher.EmbedAsync(["block"], TestContext.Current.CancellationToken);
        await blocker.entered.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return blocker;
    }

    public void Release() => release.Set();

    public void Dispose() => release.Set();
}
