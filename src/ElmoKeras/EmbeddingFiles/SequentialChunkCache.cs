using PureHDF.VOL.Native;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// A writing chunk cache for data written front to back: it keeps the few most recent chunks and
/// writes older ones to the file as soon as newer ones are started, so memory stays bounded however
/// large the dataset grows. (PureHDF's default writing cache keeps every chunk until the file closes.)
/// </summary>
internal sealed class SequentialChunkCache(int capacity = 2) : IWritingChunkCache
{
    private readonly Queue<ulong> order = new();
    private readonly Dictionary<ulong, (Memory<byte> Chunk, Action<ulong, Memory<byte>> Writer)> chunks = new();

    public Memory<byte> GetChunk(ulong chunkIndex, Func<Memory<byte>> chunkAllocator, Action<ulong, Memory<byte>> chunkWriter)
    {
        if (chunks.TryGetValue(chunkIndex, out var cached)) return cached.Chunk;
        while (chunks.Count >= capacity)
        {
            // Each chunk keeps the writer it came with: PureHDF 2.2's writer delegate writes to the
            // chunk it was created for whatever index it is given.
            ulong oldest = order.Dequeue();
            var (chunk, writer) = chunks[oldest];
            chunks.Remove(oldest);
            writer(oldest, chunk);
        }
        Memory<byte> fresh = chunkAllocator();
        chunks[chunkIndex] = (fresh, chunkWriter);
        order.Enqueue(chunkIndex);
        return fresh;
    }

    public void Flush(Action<ulong, Memory<byte>> chunkWriter)
    {
        while (order.Count > 0)
        {
            ulong index = order.Dequeue();
            chunkWriter(index, chunks[index].Chunk);
            chunks.Remove(index);
        }
    }
}
