namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// Joins flat files that hold consecutive lines into one flat file, copying block by block so memory
/// stays bounded. (PureHDF cannot write external links or virtual datasets, so a join is a copy.)
/// </summary>
public static class FlatFileJoiner
{
    private const int BlockSentences = 1024;

    /// <summary>Writes <paramref name="parts"/>, in order, to <paramref name="path"/> with <paramref name="metadata"/>.</summary>
    public static void Join(IReadOnlyList<FlatEmbeddingFile> parts, EmbeddingMetadata metadata, string path, CancellationToken cancellationToken = default)
    {
        var (layers, width) = parts[0].Shape;
        using var writer = new FlatEmbeddingWriter(path, metadata, layers, width);
        int perToken = Math.Max(layers, 1) * width;
        foreach (FlatEmbeddingFile part in parts)
        {
            for (long first = 0; first < part.Count; first += BlockSentences)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int sentences = (int)Math.Min(BlockSentences, part.Count - first);
                long[] offsets = part.ReadOffsets(first, sentences + 1);
                float[] rows = part.ReadRows(offsets[0], checked((int)(offsets[^1] - offsets[0])));
                for (int i = 0; i < sentences; i++)
                    writer.Append(rows.AsSpan(checked((int)(offsets[i] - offsets[0]) * perToken), checked((int)(offsets[i + 1] - offsets[i]) * perToken)));
            }
        }
        writer.Complete();
    }
}
