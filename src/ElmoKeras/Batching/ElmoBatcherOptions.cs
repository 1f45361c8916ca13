namespace ElmoKeras.Batching;

/// <summary>How an <see cref="ElmoBatcher"/> packs waiting sentences into batches and how much it lets wait.</summary>
public sealed record ElmoBatcherOptions
{
    /// <summary>The default of <see cref="MaxBatchTokens"/> (text-embeddings-inference's default too).</summary>
    public const int DefaultMaxBatchTokens = 16_384;

    /// <summary>The default of <see cref="MaxQueuedSentences"/>.</summary>
    public const int DefaultMaxQueuedSentences = 1_024;

    /// <summary>
    /// Padded tokens per batch: rows × the longest row, the quantity the bi-LM's cost follows. A
    /// sentence longer than this runs in a batch of its own.
    /// </summary>
    /// <value>Default: 16,384.</value>
    public int MaxBatchTokens { get; init; } = DefaultMaxBatchTokens;

    /// <summary>Sentences per batch, whatever their length.</summary>
    /// <value>Default: 256.</value>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>
    /// How long a batch may wait for company before it starts, counted from the oldest waiting
    /// sentence's arrival or the end of the previous batch, whichever is later: the callers a batch
    /// has just answered get this long to send their next sentences and join the next batch. It
    /// waits only while fewer sentences are queued than the last batch answered plus those that
    /// queued during it, so a lone caller never waits.
    /// </summary>
    /// <value>Default: 20 ms.</value>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Sentences that may wait at once. A submission that would go past it is refused at once with
    /// <see cref="ElmoQueueFullException"/> rather than queued: a full queue means the client would
    /// wait longer than it is worth.
    /// </summary>
    /// <value>Default: 1,024.</value>
    public int MaxQueuedSentences { get; init; } = DefaultMaxQueuedSentences;

    /// <summary>Every invalid setting in one message, or null when all are valid.</summary>
    internal string? Errors()
    {
        var errors = new List<string>();
        if (MaxBatchTokens <= 0) errors.Add($"MaxBatchTokens must be positive, got {MaxBatchTokens}.");
        if (MaxBatchSize <= 0) errors.Add($"MaxBatchSize must be positive, got {MaxBatchSize}.");
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(10)) errors.Add($"MaxWait must be between 0 and 10 s, got {MaxWait.TotalMilliseconds} ms.");
        if (MaxQueuedSentences <= 0) errors.Add($"MaxQueuedSentences must be positive, got {MaxQueuedSentences}.");
        return errors.Count == 0 ? null : string.Join(" ", errors);
    }
}
