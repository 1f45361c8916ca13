namespace ElmoKeras.Batching;

/// <summary>
/// An <see cref="ElmoBatcher"/> refused sentences because its queue could not hold them all; nothing
/// of the submission was queued. Retry later, or with fewer sentences.
/// </summary>
public sealed class ElmoQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception with the numbers that explain it.</summary>
    public ElmoQueueFullException(int requested, int queued, int capacity)
        : base($"The ELMo batcher's queue is full: {requested} sentence(s) submitted while {queued} of at most {capacity} wait; nothing was queued. Retry later.")
    {
        Requested = requested;
        Queued = queued;
        Capacity = capacity;
    }

    /// <summary>Sentences in the refused submission.</summary>
    public int Requested { get; }

    /// <summary>Sentences waiting when it was refused.</summary>
    public int Queued { get; }

    /// <summary>The limit, <see cref="ElmoBatcherOptions.MaxQueuedSentences"/>.</summary>
    public int Capacity { get; }
}
