using ElmoKeras.ElmoLayer;

namespace ElmoCli.Sentiment;

/// <summary>The head put on ELMo.</summary>
internal enum SentimentHead
{
    /// <summary>The recipe: pooled <c>default</c> output → Dense(256, relu) → Dense(1, sigmoid).</summary>
    Pooled,
    /// <summary>Per-token <c>elmo</c> output → Bidirectional(LSTM(64)) → Dense(256, relu) → Dense(1, sigmoid).</summary>
    Sequence,
    /// <summary>
    /// The ELMo paper's task model: per-token <c>elmo</c> vectors (dropout) ⊕ a trained word
    /// Embedding of the same tokens → Bidirectional(LSTM, every step) → max over steps → Dense(1, sigmoid).
    /// </summary>
    BiLstm,
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
    bool BatchNorm = false,
    bool UseElmo = true,
    int WordDim = 100,
    int Vocabulary = 20_000,
    int LstmUnits = 64,
    double ElmoDropout = 0.5,
    double LearningRate = 1e-3,
    double BiLmLearningRateScale = 1,
    int FrozenEpochs = 0,
    ElmoFeatureStorage FeatureStorage = ElmoFeatureStorage.Float32,
    string? FeatureCacheDirectory = null,
    bool ElmoLayerNorm = false,
    float? ElmoGamma = null);
