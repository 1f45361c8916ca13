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
    public Task StartAsync(CancellationToken cancellationToken) => Task.Run(async () =>
    {
        if (settings.Threads is int threads) torch.set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        ElmoModel loaded = await loadModel(cancellationToken);
        if (loaded.Settings.Stateful) throw new InvalidOperationException("elmo serve needs a stateless model.");
        LoadTime = clock.Elapsed;
        try
        {
            clock.Restart();
            WarmUp(loaded);
            WarmUpTime = clock.Elapsed;
            outputs = new OutputComputer(loaded);
            batcher = new ElmoBatcher(loaded, settings.BatcherOptions, logger);
            model = loaded;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
        metrics.Attach(batcher);
        cancellationToken.ThrowIfCancellationRequested();
        state = ServiceState.Ready;
        metrics.Ready.Set(1);
        logger.LogInformation("ELMo ready: loaded in {Load:F1} s, warmed up in {WarmUp:F2} s", LoadTime.TotalSeconds, WarmUpTime.TotalSeconds);
    }, cancellationToken);

    /// <summary>
    /// libtorch allocates its buffers and picks kernels on first use; a few short batches of the
    /// shapes real traffic brings make the first client's latency the steady one. The token cache
    /// is cleared after so it holds only real tokens.
    /// </summary>
    private static void WarmUp(ElmoModel elmo)
    {
        string[] words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "."];
        string[] Sentence(int length) => Enumerable.Range(0, length).Select(i => words[i % words.Length]).ToArray();
        elmo.Embed([Sentence(3)]).Dispose();
        elmo.Embed(Enumerable.Range(0, 8).Select(i => (IReadOnlyList<string>)Sentence(8 + 4 * i)).ToArray()).Dispose();
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
