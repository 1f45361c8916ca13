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
internal sealed record EmbedSettings(
    string InputFile,
    string OutputFile,
    EmbedLayers Layers,
    int BatchSize = 64,
    bool Stateful = false,
    bool UseSentenceKeys = false,
    bool ForgetSentences = false);
