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
internal sealed record BenchSettings(
    string ImdbSource,
    int Count = 512,
    int BatchSize = 32,
    int MaxTokens = 150,
    int Threads = 2,
    BenchMode Mode = BenchMode.Embed,
    bool Bucketing = true,
    bool BFloat16 = false);
