namespace ElmoKeras.Batching;

/// <summary>Counts since an <see cref="ElmoBatcher"/> was created.</summary>
/// <param name="Batches">Batches run.</param>
/// <param name="Sentences">Sentences embedded.</param>
/// <param name="Tokens">Real tokens embedded.</param>
/// <param name="Dropped">Sentences removed from the queue because their submission was cancelled before they ran.</param>
/// <param name="Rejected">Sentences refused because the queue was full.</param>
/// <param name="Queued">Sentences waiting now.</param>
public sealed record ElmoBatcherStatistics(long Batches, long Sentences, long Tokens, long Dropped, long Rejected, int Queued);
