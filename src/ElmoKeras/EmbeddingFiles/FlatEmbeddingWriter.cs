using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// Writes a flat embedding file front to back, one sentence at a time, with memory bounded by a few
/// chunks whatever the file's size. PureHDF needs every dataset's size before the first byte, so the
/// caller declares the sentence and token counts up front, in the metadata.
/// Call <see cref="Complete"/> after the last sentence; a writer disposed before that leaves a file
/// that must be deleted, which is why callers write under a temporary name.
/// </summary>
public sealed class FlatEmbeddingWriter : IDisposable
{
    private const int TargetChunkBytes = 1 << 20;
    private const int OffsetsChunk = 8192;

    private readonly EmbeddingMetadata metadata;
    private readonly int perToken, layers, width;
    private readonly bool half;
    private readonly H5NativeWriter writer;
    private readonly H5Dataset<float[]>? singles;
    private readonly H5Dataset<Half[]>? halves;
    private readonly H5Dataset<long[]> offsets;
    private readonly int flushTokens;
    private float[] pending;
    private Half[] halfBuffer = [];
    private int pendingTokens;
    private long writtenTokens, tokens;
    private readonly long[] pendingOffsets = new long[OffsetsChunk];
    private int pendingOffsetCount;
    private long writtenOffsets, sentences;
    private bool completed;

    /// <param name="path">Where to write (a temporary name: the file is whole only after <see cref="Complete"/>).</param>
    /// <param name="metadata">The file's attributes; its sentence and token counts size the datasets.</param>
    /// <param name="layers">Layers per token, or 0 for one vector per token (<c>--top</c>, <c>--average</c>).</param>
    /// <param name="width">Width of one vector.</param>
    public FlatEmbeddingWriter(string path, EmbeddingMetadata metadata, int layers, int width)
    {
        if (metadata.Sentences <= 0 || metadata.Tokens <= 0)
            throw new ArgumentException($"A flat embedding file needs at least one sentence and one token (got {metadata.Sentences} and {metadata.Tokens}).");
        this.metadata = metadata;
        this.layers = layers;
        this.width = width;
        perToken = Math.Max(layers, 1) * width;
        half = metadata.StorageType == "float16";
        int elementSize = half ? 2 : 4;
        uint chunkTokens = (uint)Math.Clamp(TargetChunkBytes / (perToken * elementSize), 1, metadata.Tokens);
        flushTokens = (int)chunkTokens;
        pending = new float[(long)flushTokens * perToken];

        ulong[] dims = layers > 0 ? [(ulong)metadata.Tokens, (ulong)layers, (ulong)width] : [(ulong)metadata.Tokens, (ulong)width];
        uint[] chunks = layers > 0 ? [chunkTokens, (uint)layers, (uint)width] : [chunkTokens, (uint)width];
        var file = new H5File { Attributes = FlatLayout.ToAttributes(metadata) };
        H5Object embeddings;
        if (half) embeddings = halves = new H5Dataset<Half[]>(dims, chunks, new H5DatasetCreation(ChunkCache: new SequentialChunkCache()));
        else embeddings = singles = new H5Dataset<float[]>(dims, chunks, new H5DatasetCreation(ChunkCache: new SequentialChunkCache()));
        file[FlatLayout.EmbeddingsDataset] = embeddings;
        ulong offsetCount = (ulong)metadata.Sentences + 1;
        offsets = new H5Dataset<long[]>([offsetCount], [(uint)Math.Min(OffsetsChunk, offsetCount)], new H5DatasetCreation(ChunkCache: new SequentialChunkCache()));
        file[FlatLayout.OffsetsDataset] = offsets;
        writer = file.BeginWrite(path);
        AppendOffset(0);
    }

    /// <summary>Appends the next sentence: <c>[tokens, layers, width]</c> (or <c>[tokens, width]</c>) row-major.</summary>
    public void Append(ReadOnlySpan<float> values)
    {
        if (values.Length == 0 || values.Length % perToken != 0)
            throw new ArgumentException($"A sentence needs a positive multiple of {perToken} values, got {values.Length}.");
        int count = values.Length / perToken;
        if (sentences + 1 > metadata.Sentences || tokens + count > metadata.Tokens)
            throw new InvalidOperationException($"More sentences or tokens than declared ({metadata.Sentences} sentences, {metadata.Tokens} tokens).");
        if (pendingTokens + count > flushTokens) FlushEmbeddings();
        if ((long)count * perToken > pending.Length) pending = new float[(long)count * perToken];
        values.CopyTo(pending.AsSpan(pendingTokens * perToken));
        pendingTokens += count;
        tokens += count;
        sentences++;
        AppendOffset(tokens);
    }

    /// <summary>Writes what is buffered and closes the file; throws when fewer sentences or tokens came than declared.</summary>
    public void Complete()
    {
        if (sentences != metadata.Sentences || tokens != metadata.Tokens)
            throw new InvalidOperationException($"Declared {metadata.Sentences} sentences and {metadata.Tokens} tokens, got {sentences} and {tokens}.");
        FlushEmbeddings();
        FlushOffsets();
        completed = true;
        writer.Dispose();
    }

    private void FlushEmbeddings()
    {
        if (pendingTokens == 0) return;
        ulong[] starts = layers > 0 ? [(ulong)writtenTokens, 0, 0] : [(ulong)writtenTokens, 0];
        ulong[] blocks = layers > 0 ? [(ulong)pendingTokens, (ulong)layers, (ulong)width] : [(ulong)pendingTokens, (ulong)width];
        var selection = new HyperslabSelection(starts.Length, starts, blocks);
        int length = pendingTokens * perToken;
        // The buffers are reused and written in part (a memory selection): a fresh array per flush
        // would be large-object-heap garbage the GC lets pile up.
        var used = new HyperslabSelection(0, (ulong)length);
        if (half)
        {
            if (halfBuffer.Length < pending.Length) halfBuffer = new Half[pending.Length];
            for (int i = 0; i < length; i++) halfBuffer[i] = (Half)pending[i];
            writer.Write(halves!, halfBuffer, memorySelection: used, fileSelection: selection);
        }
        else
        {
            writer.Write(singles!, pending, memorySelection: used, fileSelection: selection);
        }
        writtenTokens += pendingTokens;
        pendingTokens = 0;
    }

    private void AppendOffset(long value)
    {
        pendingOffsets[pendingOffsetCount++] = value;
        if (pendingOffsetCount == pendingOffsets.Length) FlushOffsets();
    }

    private void FlushOffsets()
    {
        if (pendingOffsetCount == 0) return;
        var selection = new HyperslabSelection((ulong)writtenOffsets, (ulong)pendingOffsetCount);
        writer.Write(offsets, pendingOffsets, memorySelection: new HyperslabSelection(0, (ulong)pendingOffsetCount), fileSelection: selection);
        writtenOffsets += pendingOffsetCount;
        pendingOffsetCount = 0;
    }

    /// <summary>Closes the file; before <see cref="Complete"/> it is left incomplete (delete it).</summary>
    public void Dispose()
    {
        if (!completed)
        {
            completed = true;
            try { writer.Dispose(); }
            catch (Exception) { /* an incomplete file is deleted by the caller; its first error is the one that matters */ }
        }
    }
}
