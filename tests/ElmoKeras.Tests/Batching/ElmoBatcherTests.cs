using ElmoKeras.Batching;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Batching;

/// <summary>The dynamic batcher: same vectors as embedding alone, packing by token budget, queue limit, cancellation, drain.</summary>
public sealed class ElmoBatcherTests : IDisposable
{
    private static readonly string[][] Sentences = Fixtures.ReadSentences().SelectMany(c => c)
        .Select(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();

    private readonly ElmoModel elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);

    public void Dispose() => elmo.Dispose();

    internal static float MaxDifference(float[,,] expected, float[,,] actual)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        Assert.Equal(expected.GetLength(2), actual.GetLength(2));
        return expected.Cast<float>().Zip(actual.Cast<float>()).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
    }

    private float[,,] Alone(string[] sentence)
    {
        using ElmoEmbeddings output = elmo.Embed([sentence]);
        return output.GetSentence(0);
    }

    [Fact]
    public async Task ConcurrentSubmissionsShareBatchesAndGetTheirOwnVectors()
    {
        using var batcher = new ElmoBatcher(elmo, new ElmoBatcherOptions { MaxWait = TimeSpan.FromMilliseconds(50) });
        Task<float[,,]>[] tasks = Sentences.Select(s => batcher.EmbedAsync(s, TestContext.Current.CancellationToken)).ToArray();
        float[][,,] results = await Task.WhenAll(tasks);
        ElmoBatcherStatistics statistics = batcher.Statistics;
        Assert.Equal(Sentences.Length, statistics.Sentences);
        Assert.True(statistics.Batches < Sentences.Length, $"{Sentences.Length} concurrent sentences ran in {statistics.Batches} batches; expected them to share batches.");
        for (int i = 0; i < Sentences.Length; i++)
            Assert.True(MaxDifference(Alone(Sentences[i]), results[i]) <= 1e-5f, $"sentence {i} differs from embedding it alone");
    }

    [Fact]
    public async Task CallersAnsweredByABatchHaveMaxWaitToJoinTheNext()
    {
        // A sentence that queued during a long batch is past its own wait when that batch ends; the
        // caller the batch has just answered sends again a moment later and must still make the next
        // batch (counting only from the oldest arrival, 32 clients averaged 11 sentences a batch).
        using var batcher = new ElmoBatcher(elmo, new ElmoBatcherOptions { MaxWait = TimeSpan.FromMilliseconds(500) });
        using WorkerBlocker blocker = await WorkerBlocker.BlockAsync(batcher);
        Task<float[,,]> queuedDuringTheBatch = batcher.EmbedAsync(Sentences[0], TestContext.Current.CancellationToken);
        await Task.Delay(700, TestContext.Current.CancellationToken);
        blocker.Release();
        // The answered client's round trip.
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Task<float[,,]> sentAgain = batcher.EmbedAsync(Sentences[1], TestContext.Current.CancellationToken);
        await Task.WhenAll(queuedDuringTheBatch, sentAgain);
        Assert.Equal(2, batcher.Statistics.Batches);
        Assert.True(MaxDifference(Alone(Sentences[0]), await queuedDuringTheBatch) <= 1e-5f);
        Assert.True(MaxDifference(Alone(Sentences[1]), await sentAgain) <= 1e-5f);
    }

    [Fact]
    public async Task TheWorkerRunsWithTheCreatorsIntraOpThreadCount()
    {
        // libtorch's thread count is per thread (OpenMP): a worker left at the default would ignore --threads.
        int original = TorchSharp.torch.get_num_threads(), wanted = original == 1 ? 2 : 1;
        int seen = 0;
        var creator = new Thread(() =>
        {
            TorchSharp.torch.set_num_threads(wanted);
            using var batcher = new ElmoBatcher(elmo);
            batcher.BatchCompleted += (_, _) => seen = TorchSharp.torch.get_num_threads();
            batcher.EmbedAsync(Sentences[0]).GetAwaiter().GetResult();
        });
        creator.Start();
        await Task.Run(creator.Join, TestContext.Current.CancellationToken);
        Assert.Equal(wanted, seen);
    }

    [Fact]
    public async Task ALoneCallerNeverWaitsForCompany()
    {
        // One client sending one sentence after another: nobody else is expected, so no batch waits
        // its MaxWait (2 s here) for company.
        using var batcher = new ElmoBatcher(elmo, new ElmoBatcherOptions { MaxWait = TimeSpan.FromSeconds(2) });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3; i++)
            await batcher.EmbedAsync(Sentences[i], TestContext.Current.CancellationToken);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"three sentences one after another took {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(3, batcher.Statistics.Batches);
    }

    [Fact]
    public async Task ARequestLargerThanTheTokenBudgetIsSplitAcrossBatches()
    {
        var batches = new List<(int Sentences, long Padded)>();
        using var batcher = new ElmoBatcher(elmo, new ElmoBatcherOptions { MaxBatchTokens = 24 });
        // A slow handler: the batch's caller resumes only after it has recorded the batch.
        batcher.BatchCompleted += (_, e) =>
        {
            Thread.Sleep(50);
            lock (batches) batches.Add((e.Sentences, e.PaddedTokens));
        };
        string[][] eight = Enumerable.Range(0, 8).Select(i => Enumerable.Range(0, 6).Select(t => $"w{i}x{t}").ToArray()).ToArray();
        float[][,,] results = await batcher.EmbedAsync(eight, TestContext.Current.CancellationToken);
        Assert.Equal(8, results.Length);
        Assert.Equal(2, batcher.Statistics.Batches);
        lock (batches) Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.True(b.Padded <= 24, $"a batch cost {b.Padded} padded tokens, over the budget of 24"));
        for (int i = 0; i < eight.Length; i++) Assert.True(MaxDifference(Alone(eight[i]), results[i]) <= 1e-5f);
    }

    [Fact]
    public async Task AFullQueueRefusesAtOnceAndQueuesNothing()
    {
        using var batcher = new ElmoBatcher(elmo, new ElmoBatcherOptions { MaxQueuedSentences = 3 });
        using WorkerBlocker blocker = await WorkerBlocker.BlockAsync(batcher);
        Task<float[][,,]> waiting = batcher.EmbedAsync([Sentences[0], Sentences[1]], TestContext.Current.CancellationToken);
        var ex = Assert.Throws<ElmoQueueFullException>(() => { _ = batcher.EmbedAsync([Sentences[2], Sentences[3]], TestContext.Current.CancellationToken); });
        Assert.Equal((2, 2, 3), (ex.Requested, ex.Queued, ex.Capacity));
        Assert.Contains("2 sentence(s) submitted while 2 of at most 3 wait", ex.Message);
        Assert.Equal(2, batcher.QueuedSentences);
        blocker.Release();
        Assert.Equal(2, (await waiting).Length);
        Assert.Equal(2, batcher.Statistics.Rejected);
    }

    [Fact]
    public async Task ASubmissionCancelledWhileQueuedLeavesTheQueueAndNeverRuns()
    {
        using var batcher = new ElmoBatcher(elmo);
        using WorkerBlocker blocker = await WorkerBlocker.BlockAsync(batcher);
        using var cancel = new CancellationTokenSource();
        Task<float[][,,]> cancelled = batcher.EmbedAsync([Sentences[0], Sentences[1], Sentences[2]], cancel.Token);
        Task<float[,,]> kept = batcher.EmbedAsync(Sentences[3], TestContext.Current.CancellationToken);
        Assert.Equal(4, batcher.QueuedSentences);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, batcher.QueuedSentences);
        blocker.Release();
        Assert.True(MaxDifference(Alone(Sentences[3]), await kept) <= 1e-5f);
        ElmoBatcherStatistics statistics = batcher.Statistics;
        Assert.Equal(3, statistics.Dropped);
        Assert.Equal(2, statistics.Sentences);   // the blocking sentence and the kept one
    }

    [Fact]
    public async Task DrainFinishesQueuedWorkAndRefusesNewWork()
    {
        using var batcher = new ElmoBatcher(elmo);
        using WorkerBlocker blocker = await WorkerBlocker.BlockAsync(batcher);
        Task<float[][,,]> queued = batcher.EmbedAsync(Sentences.Take(5).ToArray(), TestContext.Current.CancellationToken);
        Task drain = batcher.DrainAsync(TestContext.Current.CancellationToken);
        var refused = Assert.Throws<InvalidOperationException>(() => { _ = batcher.EmbedAsync(Sentences[0], TestContext.Current.CancellationToken); });
        Assert.Contains("draining", refused.Message);
        Assert.False(drain.IsCompleted);
        blocker.Release();
        await drain.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(queued.IsCompletedSuccessfully);
        Assert.Equal(5, queued.Result.Length);
    }

    [Fact]
    public async Task DisposeFailsWorkStillQueued()
    {
        var batcher = new ElmoBatcher(elmo);
        WorkerBlocker blocker = await WorkerBlocker.BlockAsync(batcher);
        Task<float[,,]> queued = batcher.EmbedAsync(Sentences[0], TestContext.Current.CancellationToken);
        Task dispose = Task.Run(batcher.Dispose, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
        blocker.Release();
        await dispose.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Throws<InvalidOperationException>(() => { _ = batcher.EmbedAsync(Sentences[0], TestContext.Current.CancellationToken); });
    }

    [Fact]
    public void RefusesStatefulModelsAndListsEveryBadOption()
    {
        using var stateful = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { Stateful = true });
        Assert.Contains("stateless", Assert.Throws<ArgumentException>(() => new ElmoBatcher(stateful)).Message);
        var ex = Assert.Throws<ArgumentException>(() => new ElmoBatcher(elmo, new ElmoBatcherOptions { MaxBatchTokens = 0, MaxQueuedSentences = -1 }));
        Assert.Contains("MaxBatchTokens must be positive, got 0", ex.Message);
        Assert.Contains("MaxQueuedSentences must be positive, got -1", ex.Message);
    }
}
