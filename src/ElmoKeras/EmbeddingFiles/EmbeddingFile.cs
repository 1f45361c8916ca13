using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// Reads the output of <c>elmo embed</c>: sentence <c>i</c>'s vectors from either layout (one dataset
/// per sentence, or flat), or from a set of shards <c>OUTPUT.shard-I-of-N.h5</c> not yet merged.
/// </summary>
/// <example>
/// <code>
/// using var file = EmbeddingFile.Open("embeddings.h5");
/// SentenceVectors first = file.Read(0);   // [layers, tokens, width] or [tokens, width]
/// </code>
/// </example>
public abstract class EmbeddingFile : IDisposable
{
    /// <summary>
    /// Opens <paramref name="path"/>; when it does not exist but shards <c>path.shard-I-of-N.h5</c> do,
    /// opens them as one file after checking that they are complete and belong together.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither the file nor any shard of it exists.</exception>
    /// <exception cref="EmbeddingFileException">The file is not an embedding file, or the shards do not fit together.</exception>
    public static EmbeddingFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            IReadOnlyList<ShardFile> shards = ShardFiles.Find(full);
            if (shards.Count == 0)
                throw new FileNotFoundException($"Embedding file '{full}' does not exist, and neither do shards '{Path.GetFileName(full)}.shard-I-of-N.h5' beside it.", full);
            return ShardSetEmbeddingFile.Open(full, shards);
        }
        return OpenSingle(full);
    }

    /// <summary>Opens exactly the file at <paramref name="path"/> (either layout), never a shard set.</summary>
    /// <exception cref="EmbeddingFileException">The file is not an embedding file ElmoKeras can read.</exception>
    public static EmbeddingFile OpenSingle(string path)
    {
        NativeFile file;
        try
        {
            file = H5File.OpenRead(path);
        }
        catch (Exception ex) when (ex is not IOException and not UnauthorizedAccessException)
        {
            throw new EmbeddingFileException($"{path}: not an HDF5 file ({ex.Message}).", ex);
        }
        try
        {
            return FlatLayout.IsFlat(file) ? new FlatEmbeddingFile(file, path) : new PerSentenceEmbeddingFile(file, path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The file's layout (a shard set reports <see cref="EmbeddingLayout.Flat"/>).</summary>
    public abstract EmbeddingLayout Layout { get; }

    /// <summary>Number of sentences.</summary>
    public abstract long Count { get; }

    /// <summary>How a flat file or shard set was made; <see langword="null"/> for the per-sentence layout, which does not record it.</summary>
    public abstract EmbeddingMetadata? Metadata { get; }

    /// <summary>Sentence <paramref name="index"/>'s vectors, in the per-sentence layout's shape whatever the layout.</summary>
    public abstract SentenceVectors Read(long index);

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the file.</summary>
    protected abstract void Dispose(bool disposing);

    private protected void CheckIndex(long index, string path)
    {
        if (index < 0 || index >= Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{path} holds sentences 0..{Count - 1}.");
    }
}
