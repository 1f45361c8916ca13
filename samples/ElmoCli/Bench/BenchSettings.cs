namespace ElmoCli.Bench;

/// <summary>What to time.</summary>
internal enum BenchMode
{
    /// <summary>Inference: no gradient.</summary>
    Embed,
    /// <summary>Forward and backward with every ELMo weight trainable.</summary>
    Train,
}

/// <summary>What <c>elmo bench</c> was asked to do.</summary>
/// <param name="BatchSize">Reviews per batch, or null to batch by <paramref name="MaxBatchTokens"/> alone.</param>
/// <param name="MaxBatchTokens">Padded tokens per batch, or null to batch by <paramref name="BatchSize"/> alone.</param>
internal sealed record BenchSettings(
    string ImdbSource,
    int Count = 512,
    int? BatchSize = 32,
    int? MaxBatchTokens = null,
    int MaxTokens = 150,
    int Threads = 2,
    BenchMode Mode = BenchMode.Embed,
    bool Bucketing = true,
    bool BFloat16 = false,
    int MinTokens = 1)
{
    /// <summary>The token budget used when neither a budget nor a batch size is given (see docs/performance.md).</summary>
    public const int DefaultMaxBatchTokens = 8192;

    /// <summary>Checks the command line's values; a batch size alone batches by count (the reference tools' way).</summary>
    public static BenchSettings Create(string imdb, int count, int? batchSize, int? maxBatchTokens, int maxTokens, int threads, BenchMode mode, bool bucketing, bool bfloat16, int minTokens = 1)
    {
        if (count <= 0) throw new ArgumentException($"--n must be positive, got {count}.");
        if (batchSize is <= 0) throw new ArgumentException($"--batch-size must be positive, got {batchSize}.");
        if (maxBatchTokens is <= 0) throw new ArgumentException($"--max-batch-tokens must be positive, got {maxBatchTokens}.");
        if (maxTokens <= 0) throw new ArgumentException($"--max-tokens must be positive, got {maxTokens}.");
        if (minTokens <= 0) throw new ArgumentException($"--min-tokens must be positive, got {minTokens}.");
        if (!bucketing && batchSize is null) throw new ArgumentException("--no-bucketing batches in file order and needs --batch-size.");
        return new BenchSettings(imdb, count, batchSize, maxBatchTokens ?? (batchSize is null ? DefaultMaxBatchTokens : null), maxTokens, threads, mode, bucketing, bfloat16, minTokens);
    }
}
