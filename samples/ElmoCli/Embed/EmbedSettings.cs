using ElmoKeras.EmbeddingFiles;

namespace ElmoCli.Embed;

/// <summary>Which layers <c>elmo embed</c> writes per sentence.</summary>
internal enum EmbedLayers
{
    /// <summary>Every layer: [layers, tokens, width].</summary>
    All,
    /// <summary>The top LSTM layer: [tokens, width].</summary>
    Top,
    /// <summary>The mean of all layers: [tokens, width].</summary>
    Average,
}

/// <summary>What <c>elmo embed</c> was asked to do.</summary>
/// <param name="Shard">The shard to embed; <see langword="null"/> for the whole input.</param>
/// <param name="CheckpointLines">With the flat layout, sentences per checkpoint a restarted run continues from.</param>
/// <param name="MaxBatchTokens">Padded tokens per batch (within the <paramref name="BatchSize"/> cap), or null to batch by count alone.</param>
internal sealed record EmbedSettings(
    string InputFile,
    string OutputFile,
    EmbedLayers Layers,
    int BatchSize = EmbedSettings.DefaultBatchSize,
    bool Stateful = false,
    bool UseSentenceKeys = false,
    bool ForgetSentences = false,
    EmbeddingLayout Layout = EmbeddingLayout.PerSentence,
    bool Float16 = false,
    ShardChoice? Shard = null,
    int CheckpointLines = EmbedSettings.DefaultCheckpointLines,
    int? MaxBatchTokens = null)
{
    public const int DefaultCheckpointLines = 20_000;

    /// <summary>The token budget when neither --batch-size nor --max-batch-tokens is given (measured: docs/performance.md).</summary>
    public const int DefaultMaxBatchTokens = 8192;

    /// <summary>The sentence cap per batch when --batch-size is not given (AllenNLP's default).</summary>
    public const int DefaultBatchSize = 64;

    /// <summary>The name the flat layout's <c>layers</c> attribute records.</summary>
    public string LayersName => Layers.ToString().ToLowerInvariant();
}
