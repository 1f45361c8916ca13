using ElmoKeras.ElmoLayer;

namespace ElmoCli.Sentiment;

/// <summary>The head put on ELMo.</summary>
internal enum SentimentHead
{
    /// <summary>The recipe: pooled <c>default</c> output → Dense(256, relu) → Dense(1, sigmoid).</summary>
    Pooled,
    /// <summary>Per-token <c>elmo</c> output → Bidirectional(LSTM(64)) → Dense(256, relu) → Dense(1, sigmoid).</summary>
    Sequence,
}

/// <summary>What <c>elmo sentiment</c> was asked to do.</summary>
internal sealed record SentimentSettings(
    string? Data,
    string OutputDirectory,
    int MaxWords = 150,
    int Epochs = 5,
    int BatchSize = 32,
    int? Limit = null,
    int? TestLimit = null,
    int Seed = 0,
    ElmoTrainable Trainable = ElmoTrainable.ScalarMix,
    SentimentHead Head = SentimentHead.Pooled,
    bool CacheFeatures = true,
    bool BatchNorm = false);
