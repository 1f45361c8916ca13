namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// Joins flat files that hold consecutive lines into one flat file, copying block by block so memory
/// stays bounded. (PureHDF cannot write external links or virtual datasets, so a join is a copy.)
/// </summary>
public static class FlatFileJoiner
{
    private const int BlockSentences = 1024;

    // Rows are copied in reads of about this many bytes (at least one sentence): a block of 1,024
    // sentences of a wide model with all layers is ~80 MB, and each such read left large arrays for
    // the collector, so joining a 2.3 GB file peaked at 1.1 GB resident.
    private const long BlockBytes = 4 << 20;

    /// <summary>Writes <paramref name="parts"/>, in order, to <paramref name="path"/> with <paramref name="metadata"/>.</summary>
    public static void Join(IReadOnlyList<FlatEmbeddingFile> parts, EmbeddingMetadata metadata, string path, CancellationToken cancellationToken = default) =>
        Join(parts, metadata, path, BlockBytes, cancellationToken);

    internal static void Join(IReadOnlyList<FlatEmbeddingFile> parts, EmbeddingMetadata metadata, string path, long blockBytes, CancellationToken cancellationToken)
    {
        var (layers, width) = parts[0].Shape;
        using var writer = new FlatEmbeddingWriter(path, metadata, layers, width);
        int perToken = Math.Max(layers, 1) * width;
        foreach (FlatEmbeddingFile part in parts)
        {
            for (long first = 0; first < part.Count; first += BlockSentences)
            {
                int sentences = (int)Math.Min(BlockSentences, part.Count - first);
                long[] offsets = part.ReadOffsets(first, sentences + 1);
                for (int from = 0; from < sentences;)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int to = from + 1;
                    while (to < sentences && (offsets[to + 1] - offsets[from]) * perToken * sizeof(float) <= blockBytes) to++;
                    float[] rows = part.ReadRows(offsets[from], checked((int)(offsets[to] - offsets[from])));
                    for (int i = from; i < to; i++)
                        writer.Append(rows.AsSpan(checked((int)(offsets[i] - offsets[from]) * perToken), checked((int)(offsets[i + 1] - offsets[i]) * perToken)));
                    from = to;
                }
            }
        }
        writer.Complete();
    }
}
