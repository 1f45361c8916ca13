using ElmoKeras.Batching;
using Prometheus;

namespace ElmoCli.Serve;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (no process-wide state, so several
/// servers in one process, as in the tests, count separately): requests by endpoint and status,
/// latency, queue, batches, and the process's memory and CPU.
/// </summary>
internal sealed class ServeMetrics
{
    public ServeMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("elmo_requests_total", "HTTP requests by endpoint and status code (499: the client went away first).", ["endpoint", "status"]);
        RequestDuration = factory.CreateHistogram("elmo_request_duration_seconds", "Time from request to the end of the response, by endpoint.", ["endpoint"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        InFlight = factory.CreateGauge("elmo_inflight_requests", "Requests being handled now.");
        QueueSize = factory.CreateGauge("elmo_queue_size", "Sentences waiting for the model.");
        Ready = factory.CreateGauge("elmo_ready", "1 when the model is loaded and warmed up and the server takes requests.");
        BatchSize = factory.CreateHistogram("elmo_batch_size", "Sentences per model batch.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 10) });
        BatchTokens = factory.CreateHistogram("elmo_batch_tokens", "Real tokens per model batch.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(16, 2, 12) });
        BatchDuration = factory.CreateHistogram("elmo_batch_duration_seconds", "Model time per batch.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        Tokens = factory.CreateCounter("elmo_tokens_total", "Tokens embedded.");
        Dropped = factory.CreateCounter("elmo_sentences_dropped_total", "Sentences taken out of the queue because their client went away before they ran.");
        Rejected = factory.CreateCounter("elmo_sentences_rejected_total", "Sentences refused because the queue was full (answered 429).");
        BatchFailures = factory.CreateCounter("elmo_batch_failures_total", "Model batches that threw (their requests answered 500).");
        // While the garbage collector has the managed threads stopped, the model's worker stops too.
        GcPause = factory.CreateCounter("dotnet_gc_pause_seconds_total", "Time the .NET garbage collector has held managed threads paused since the process started.");
        Registry.AddBeforeCollectCallback(() => GcPause.IncTo(GC.GetTotalPauseDuration().TotalSeconds));
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Histogram RequestDuration { get; }
    public Gauge InFlight { get; }
    public Gauge QueueSize { get; }
    public Gauge Ready { get; }
    public Histogram BatchSize { get; }
    public Histogram BatchTokens { get; }
    public Histogram BatchDuration { get; }
    public Counter Tokens { get; }
    public Counter Dropped { get; }
    public Counter Rejected { get; }
    public Counter BatchFailures { get; }
    public Counter GcPause { get; }

    /// <summary>Counts every batch of <paramref name="batcher"/>, and reads its queue at each scrape.</summary>
    public void Attach(ElmoBatcher batcher)
    {
        batcher.BatchCompleted += (_, e) =>
        {
            BatchSize.Observe(e.Sentences);
            BatchTokens.Observe(e.Tokens);
            BatchDuration.Observe(e.Duration.TotalSeconds);
            if (e.Succeeded) Tokens.Inc(e.Tokens);
            else BatchFailures.Inc();
            QueueSize.Set(e.Queued);
        };
        Registry.AddBeforeCollectCallback(() =>
        {
            ElmoBatcherStatistics statistics = batcher.Statistics;
            QueueSize.Set(statistics.Queued);
            Dropped.IncTo(statistics.Dropped);
            Rejected.IncTo(statistics.Rejected);
        });
    }
}
