using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace ElmoKeras.ElmoLayer;

/// <summary>
/// Per-token features of every example, packed one example after another ([tokens, width] each),
/// in native memory up to a size limit, beyond it in a memory-mapped file that is deleted on
/// Dispose. A batch comes back as float32 [batch, longest, width] with zeros past each example's
/// tokens and a mask, as the bi-LM gives it.
/// </summary>
internal sealed unsafe class TokenFeatureStore : ICachedFeatures
{
    private readonly int[] lengths;
    private readonly long[] offsets;
    private readonly int width;
    private readonly ScalarType type;
    private readonly int elementSize;
    private readonly MemoryMappedFile? file;
    private readonly MemoryMappedViewAccessor? view;
    private readonly string? path;
    private byte* data;

    /// <param name="lengths">Tokens per example.</param>
    /// <param name="width">Values per token.</param>
    /// <param name="storage">Number type kept.</param>
    /// <param name="memoryLimitBytes">Largest store kept in memory; a larger one goes to a file.</param>
    /// <param name="directory">Folder for the file (created when needed).</param>
    public TokenFeatureStore(int[] lengths, int width, ElmoFeatureStorage storage, long memoryLimitBytes, string directory)
    {
        this.lengths = lengths;
        this.width = width;
        type = storage == ElmoFeatureStorage.Float16 ? ScalarType.Float16 : ScalarType.Float32;
        elementSize = storage == ElmoFeatureStorage.Float16 ? 2 : 4;
        offsets = new long[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) offsets[i + 1] = offsets[i] + lengths[i];
        Bytes = offsets[^1] * width * elementSize;
        if (Bytes <= memoryLimitBytes)
        {
            data = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, Bytes));
            return;
        }
        Directory.CreateDirectory(directory);
        path = Path.Combine(directory, $"elmo-features-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        try
        {
            file = MemoryMappedFile.CreateFromFile(path, FileMode.CreateNew, null, Bytes, MemoryMappedFileAccess.ReadWrite);
            view = file.CreateViewAccessor(0, Bytes, MemoryMappedFileAccess.ReadWrite);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref data);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Dispose();
            throw new IOException($"Cannot create the {Bytes / (1 << 20):N0} MiB feature cache file '{path}': {ex.Message} Set ElmoLayerOptions.FeatureCacheDirectory to a folder with room, use FeatureCacheStorage = Float16, or turn CacheFeatures off.", ex);
        }
    }

    /// <summary>Size of the store.</summary>
    public long Bytes { get; }

    /// <summary>Whether the store is a file rather than memory.</summary>
    public bool IsFile => file is not null;

    public int Count => lengths.Length;

    /// <summary>Stores example <paramref name="example"/>'s tokens from <paramref name="rows"/> [tokens ≥ its length, width] (any type, any device).</summary>
    public void Write(int example, Tensor rows)
    {
        using var scope = NewDisposeScope();
        int length = lengths[example];
        if (length == 0) return;
        Tensor source = rows.narrow(0, 0, length).to_type(type).cpu().contiguous();
        source.bytes.CopyTo(Slice(example));
    }

    public LayerValue Take(int[] batch)
    {
        using var scope = NewDisposeScope();
        int steps = batch.Length == 0 ? 0 : batch.Max(i => lengths[i]);
        Tensor values = zeros(batch.Length, steps, width, dtype: type);
        if (values.numel() > 0)
        {
            Span<byte> target = values.bytes;
            long rowBytes = (long)steps * width * elementSize;
            for (int b = 0; b < batch.Length; b++)
                Slice(batch[b]).CopyTo(target.Slice((int)(b * rowBytes)));
        }
        var real = new bool[batch.Length * steps];
        for (int b = 0; b < batch.Length; b++) real.AsSpan(b * steps, lengths[batch[b]]).Fill(true);
        Tensor mask = tensor(real, [batch.Length, steps]);
        return LayerValue.FromTensor(values.to_type(ScalarType.Float32).MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    private Span<byte> Slice(int example)
    {
        ObjectDisposedException.ThrowIf(data is null, this);
        return new Span<byte>(data + offsets[example] * width * elementSize, checked(lengths[example] * width * elementSize));
    }

    public void Dispose()
    {
        if (view is not null)
        {
            if (data is not null) view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        else if (data is not null) NativeMemory.Free(data);
        data = null;
        file?.Dispose();
        if (path is not null) File.Delete(path);
    }
}
