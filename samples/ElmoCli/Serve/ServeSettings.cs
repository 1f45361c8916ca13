using ElmoKeras.Batching;

namespace ElmoCli.Serve;

/// <summary>What <c>elmo serve</c> was asked to do: where to listen, how to batch, and every limit.</summary>
internal sealed record ServeSettings
{
    /// <summary>Address to listen on: an IP address, or <c>localhost</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (printed at start).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Padded tokens per model batch.</summary>
    public int MaxBatchTokens { get; init; } = ElmoBatcherOptions.DefaultMaxBatchTokens;

    /// <summary>Sentences per model batch.</summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>How long an idle batcher waits for company.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Sentences that may wait for the model; past it, 429.</summary>
    public int MaxQueue { get; init; } = ElmoBatcherOptions.DefaultMaxQueuedSentences;

    /// <summary>Requests being handled at once; past it, 429 (text-embeddings-inference's max_concurrent_requests).</summary>
    public int MaxConcurrentRequests { get; init; } = 512;

    /// <summary>Inputs per request; past it, 422 (text-embeddings-inference's max_client_batch_size).</summary>
    public int MaxClientBatchSize { get; init; } = 32;

    /// <summary>Request body bytes; past it, 413.</summary>
    public long MaxBodyBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Tokens per input; past it, truncated or 422 (see <see cref="Truncate"/>).</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>Cut inputs longer than <see cref="MaxTokens"/> instead of refusing them (a request's <c>truncate</c> field wins).</summary>
    public bool Truncate { get; init; }

    /// <summary>How long SIGTERM/Ctrl+C waits for in-flight requests before closing their connections.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Seconds a 429 or 503 answer tells the client to wait (Retry-After).</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>CPU threads for TorchSharp; null leaves libtorch's choice.</summary>
    public int? Threads { get; init; }

    /// <summary>The name <c>/info</c> and <c>/v1/embeddings</c> give the model.</summary>
    public string ModelName { get; init; } = "elmo";

    /// <summary>The batcher's options these settings describe.</summary>
    public ElmoBatcherOptions BatcherOptions => new()
    {
        MaxBatchTokens = MaxBatchTokens,
        MaxBatchSize = MaxBatchSize,
        MaxWait = MaxWait,
        MaxQueuedSentences = MaxQueue,
    };

    /// <summary>Throws one <see cref="ArgumentException"/> listing every bad value with its option name.</summary>
    public ServeSettings Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535) errors.Add($"--port must be 0-65535, got {Port}.");
        if (MaxBatchTokens <= 0) errors.Add($"--max-batch-tokens must be positive, got {MaxBatchTokens}.");
        if (MaxBatchSize <= 0) errors.Add($"--max-batch-size must be positive, got {MaxBatchSize}.");
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(10)) errors.Add($"--max-wait-ms must be 0-10000, got {MaxWait.TotalMilliseconds}.");
        if (MaxQueue <= 0) errors.Add($"--max-queue must be positive, got {MaxQueue}.");
        if (MaxConcurrentRequests <= 0) errors.Add($"--max-concurrent-requests must be positive, got {MaxConcurrentRequests}.");
        if (MaxClientBatchSize <= 0) errors.Add($"--max-client-batch-size must be positive, got {MaxClientBatchSize}.");
        else if (MaxClientBatchSize > MaxQueue) errors.Add($"--max-client-batch-size ({MaxClientBatchSize}) must not exceed --max-queue ({MaxQueue}), or a full-size request could never be queued.");
        if (MaxBodyBytes <= 0) errors.Add($"--max-body-bytes must be positive, got {MaxBodyBytes}.");
        if (MaxTokens <= 0) errors.Add($"--max-tokens must be positive, got {MaxTokens}.");
        if (ShutdownTimeout < TimeSpan.Zero) errors.Add($"--shutdown-timeout must not be negative, got {ShutdownTimeout.TotalSeconds} s.");
        if (RetryAfterSeconds <= 0) errors.Add($"--retry-after must be positive, got {RetryAfterSeconds}.");
        if (Threads is <= 0) errors.Add($"--threads must be positive, got {Threads}.");
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
        return this;
    }
}
