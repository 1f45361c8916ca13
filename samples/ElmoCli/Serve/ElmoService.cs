using System.Diagnostics;
using ElmoKeras.Batching;
using ElmoKeras.Elmo;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace ElmoCli.Serve;

/// <summary>
/// The served model's life: loaded and warmed up in the background while the server already answers
/// <c>/health</c> (503 until ready), then shared through one <see cref="ElmoBatcher"/>; on shutdown
/// it stops taking requests and lets queued ones finish. Also holds the concurrency limit.
/// </summary>
internal sealed class ElmoService(Func<CancellationToken, Task<ElmoModel>> loadModel, ServeSettings settings, ServeMetrics metrics, ILogger logger) : IDisposable
{
    // A field rather than the captured parameter: RequestSlot counts through it.
    private readonly ServeMetrics metrics = metrics;
    private ElmoModel? model;
    private ElmoBatcher? batcher;
    private OutputComputer? outputs;
    private int inFlight;
    private volatile ServiceState state = ServiceState.Loading;

    public ServiceState State => state;

    public TimeSpan LoadTime { get; private set; }

    public TimeSpan WarmUpTime { get; private set; }

    public ElmoModel Model => model ?? throw NotReady();

    public ElmoBatcher Batcher => batcher ?? throw NotReady();

    public OutputComputer Outputs => outputs ?? throw NotReady();

    /// <summary>Loads, warms up and starts batching; the server is ready when this completes.</summary>
    /// <remarks>
    /// The model loads on a thread of its own that ends once the server is ready, and warms up through
    /// the batcher, so that only the batcher's worker keeps a team of libtorch's OpenMP threads.
    /// libgomp keeps every thread's idle team, and once it manages more threads than there are cores
    /// its threads stop spinning between parallel regions and sleep: the worker then waits at every
    /// barrier for a helper to wake up. Measured with a thread pool thread doing the loading: the
    /// worker was off the CPU 15% of the time with cores idle.
    /// </remarks>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loader = new Thread(() =>
        {
            try
            {
                Start(cancellationToken);
                started.SetResult();
            }
            catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
            {
                started.TrySetCanceled(ex.CancellationToken);
            }
            catch (Exception ex)
            {
                started.TrySetException(ex);
            }
        }) { IsBackground = true, Name = "elmo serve: load" };
        loader.Start();
        return started.Task;
    }

    private void Start(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (settings.Threads is int threads) torch.set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        ElmoModel loaded = loadModel(cancellationToken).GetAwaiter().GetResult();
        if (loaded.Settings.Stateful) throw new InvalidOperationException("elmo serve needs a stateless model.");
        LoadTime = clock.Elapsed;
        ElmoBatcher? created = null;
        try
        {
            clock.Restart();
            created = new ElmoBatcher(loaded, settings.BatcherOptions, logger);
            WarmUp(loaded, created);
            WarmUpTime = clock.Elapsed;
            outputs = new OutputComputer(loaded);
            batcher = created;
            model = loaded;
        }
        catch
        {
            created?.Dispose();
            loaded.Dispose();
            throw;
        }
        metrics.Attach(batcher);
        cancellationToken.ThrowIfCancellationRequested();
        state = ServiceState.Ready;
        metrics.Ready.Set(1);
        logger.LogInformation("ELMo ready: loaded in {Load:F1} s, warmed up in {WarmUp:F2} s", LoadTime.TotalSeconds, WarmUpTime.TotalSeconds);
    }

    /// <summary>
    /// libtorch allocates its buffers and picks kernels on first use; a few short batches of the
    /// shapes real traffic brings, on the worker that will run them, make the first client's latency
    /// the steady one. The token cache is cleared after so it holds only real tokens.
    /// </summary>
    private static void WarmUp(ElmoModel elmo, ElmoBatcher batcher)
    {
        string[] words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "."];
        string[] Sentence(int length) => Enumerable.Range(0, length).Select(i => words[i % words.Length]).ToArray();
        batcher.EmbedAsync([Sentence(3)]).GetAwaiter().GetResult();
        // As many as the queue takes at once (--max-queue may be small).
        int rows = Math.Min(8, batcher.Options.MaxQueuedSentences);
        batcher.EmbedAsync(Enumerable.Range(0, rows).Select(i => (IReadOnlyList<string>)Sentence(8 + 4 * i)).ToArray()).GetAwaiter().GetResult();
        // The worker is idle between batches, and nothing else reaches the model before the server is ready.
        elmo.ClearTokenCache();
    }

    /// <summary>A slot among <see cref="ServeSettings.MaxConcurrentRequests"/>, or null when all are taken.</summary>
    public RequestSlot? TryEnter()
    {
        if (Interlocked.Increment(ref inFlight) > settings.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref inFlight);
            return null;
        }
        metrics.InFlight.Inc();
        return new RequestSlot(this);
    }

    /// <summary>Throws the 503 a request gets while the model is loading or the server stops.</summary>
    public void EnsureReady()
    {
        if (state != ServiceState.Ready) throw NotReadyProblem();
    }

    public ApiProblem NotReadyProblem() => new(503, "Service unavailable",
        state == ServiceState.Loading ? "The model is still loading; retry shortly (GET /health answers 200 when ready)." : "The server is shutting down and takes no new requests.")
    { RetryAfterSeconds = settings.RetryAfterSeconds };

    private InvalidOperationException NotReady() => new($"The model is not ready (state: {state}).");

    /// <summary>Stops taking new requests; queued and in-flight ones go on.</summary>
    public void BeginDrain()
    {
        if (state == ServiceState.Stopped) return;
        state = ServiceState.Draining;
        metrics.Ready.Set(0);
        logger.LogInformation("Shutting down: no new requests; finishing {InFlight} in flight", Volatile.Read(ref inFlight));
    }

    /// <summary>Waits until every queued sentence has run (or <paramref name="cancellationToken"/> fires).</summary>
    public Task DrainAsync(CancellationToken cancellationToken) => batcher?.DrainAsync(cancellationToken) ?? Task.CompletedTask;

    public void Dispose()
    {
        state = ServiceState.Stopped;
        metrics.Ready.Set(0);
        batcher?.Dispose();
        model?.Dispose();
    }

    internal sealed class RequestSlot(ElmoService service) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) != 0) return;
            Interlocked.Decrement(ref service.inFlight);
            service.metrics.InFlight.Dec();
        }
    }
}
