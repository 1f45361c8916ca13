namespace ElmoKeras.Batching;

/// <summary>What one batch of an <see cref="ElmoBatcher"/> held and cost.</summary>
public sealed class ElmoBatchCompletedEventArgs(int sentences, long tokens, long paddedTokens, TimeSpan duration, int queued, bool succeeded) : EventArgs
{
    /// <summary>Sentences in the batch (from one or several submissions).</summary>
    public int Sentences { get; } = sentences;

    /// <summary>Real tokens in the batch.</summary>
    public long Tokens { get; } = tokens;

    /// <summary>Rows × the longest row: what the batch cost the bi-LM.</summary>
    public long PaddedTokens { get; } = paddedTokens;

    /// <summary>Time the model spent on it, copying the vectors out included.</summary>
    public TimeSpan Duration { get; } = duration;

    /// <summary>Sentences still waiting when it finished.</summary>
    public int Queued { get; } = queued;

    /// <summary>False when the model threw; the batch's submissions then failed with that exception.</summary>
    public bool Succeeded { get; } = succeeded;
}
