using System.Buffers.Binary;
using System.Text;
using ElmoKeras.Weights.TensorBundle;

namespace ElmoKeras.Tests.Weights;

/// <summary>
/// Test-only writer of TensorFlow V2 checkpoints: an uncompressed SSTable index (restart every 16
/// entries, masked CRCs) with the bundle header and one entry per tensor, float32 and string data
/// spread over <c>shards</c> data files. Enough to build hub-layout checkpoints from HDF5 weights.
/// </summary>
internal static class TensorBundleWriter
{
    public sealed record Tensor(string Name, long[] Shape, float[]? Floats = null, string[]? Strings = null);

    /// <param name="place">Replaces an entry's (offset, size) as written in the index, to build corrupt checkpoints.</param>
    public static void Write(string prefix, IEnumerable<Tensor> tensors, int shards = 1, Func<string, (long Offset, long Size), (long Offset, long Size)>? place = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(prefix)!);
        var data = Enumerable.Range(0, shards).Select(_ => new MemoryStream()).ToArray();
        var entries = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        int i = 0;
        foreach (Tensor tensor in tensors)
        {
            int shard = i++ % shards;
            byte[] bytes = tensor.Strings is null ? FloatBytes(tensor.Floats!) : StringBytes(tensor.Strings, out _);
            uint crc = tensor.Strings is null ? Crc32C.Compute(bytes) : StringCrc(tensor.Strings);
            long offset = data[shard].Length;
            data[shard].Write(bytes);
            var (entryOffset, entrySize) = place?.Invoke(tensor.Name, (offset, bytes.Length)) ?? (offset, bytes.Length);
            entries[tensor.Name] = Entry(tensor.Strings is null ? TfDataType.Float : TfDataType.String, tensor.Shape, shard, entryOffset, entrySize, Crc32C.Mask(crc));
        }
        for (int s = 0; s < shards; s++) File.WriteAllBytes($"{prefix}.data-{s:D5}-of-{shards:D5}", data[s].ToArray());
        var all = new List<(string, byte[])> { ("", Header(shards)) };
        all.AddRange(entries.Select(e => (e.Key, e.Value)));
        File.WriteAllBytes(prefix + ".index", Table(all));
    }

    private static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    private static byte[] StringBytes(string[] values, out uint lengthCrc)
    {
        var stream = new MemoryStream();
        byte[][] raw = values.Select(Encoding.UTF8.GetBytes).ToArray();
        lengthCrc = 0;
        foreach (byte[] r in raw)
        {
            Varint(stream, (ulong)r.Length);
            lengthCrc = Crc32C.Extend(lengthCrc, BitConverter.GetBytes((uint)r.Length));
        }
        stream.Write(BitConverter.GetBytes(Crc32C.Mask(lengthCrc)));
        foreach (byte[] r in raw) stream.Write(r);
        return stream.ToArray();
    }

    private static uint StringCrc(string[] values)
    {
        byte[] bytes = StringBytes(values, out uint lengthCrc);
        int stringStart = bytes.Length - values.Sum(v => Encoding.UTF8.GetByteCount(v));
        uint crc = Crc32C.Extend(lengthCrc, bytes.AsSpan(stringStart - 4, 4));
        return Crc32C.Extend(crc, bytes.AsSpan(stringStart));
    }

    private static byte[] Header(int shards)
    {
        var s = new MemoryStream();
        s.WriteByte(0x08); Varint(s, (ulong)shards);       // num_shards
        s.Write([0x1a, 0x02, 0x08, 0x01]);                   // version { producer: 1 }
        return s.ToArray();
    }

    private static byte[] Entry(TfDataType type, long[] shape, int shard, long offset, long size, uint maskedCrc)
    {
        var s = new MemoryStream();
        s.WriteByte(0x08); Varint(s, (ulong)type);
        var shapeBytes = new MemoryStream();
        foreach (long d in shape)
        {
            var dim = new MemoryStream();
            dim.WriteByte(0x08); Varint(dim, (ulong)d);
            shapeBytes.WriteByte(0x12); Varint(shapeBytes, (ulong)dim.Length); shapeBytes.Write(dim.ToArray());
        }
        s.WriteByte(0x12); Varint(s, (ulong)shapeBytes.Length); s.Write(shapeBytes.ToArray());
        if (shard != 0) { s.WriteByte(0x18); Varint(s, (ulong)shard); }
        if (offset != 0) { s.WriteByte(0x20); Varint(s, (ulong)offset); }
        if (size != 0) { s.WriteByte(0x28); Varint(s, (ulong)size); }
        s.WriteByte(0x35); s.Write(BitConverter.GetBytes(maskedCrc));
        return s.ToArray();
    }

    /// <summary>An SSTable: one data block with every entry, an empty metaindex, a one-entry index, the footer.</summary>
    private static byte[] Table(List<(string Key, byte[] Value)> entries)
    {
        var file = new MemoryStream();
        var (dataOffset, dataSize) = WriteBlock(file, Block(entries.Select(e => (Encoding.UTF8.GetBytes(e.Key), e.Value)).ToList(), 16));
        var (metaOffset, metaSize) = WriteBlock(file, Block([], 16));
        var handle = new MemoryStream();
        Varint(handle, (ulong)dataOffset); Varint(handle, (ulong)dataSize);
        byte[] lastKey = Encoding.UTF8.GetBytes(entries[^1].Key + "\uffff");
        var (indexOffset, indexSize) = WriteBlock(file, Block([(lastKey, handle.ToArray())], 1));
        var footer = new MemoryStream();
        Varint(footer, (ulong)metaOffset); Varint(footer, (ulong)metaSize);
        Varint(footer, (ulong)indexOffset); Varint(footer, (ulong)indexSize);
        footer.Write(new byte[40 - footer.Length]);
        footer.Write(BitConverter.GetBytes(0xdb4775248b80fb57UL));
        file.Write(footer.ToArray());
        return file.ToArray();
    }

    private static byte[] Block(List<(byte[] Key, byte[] Value)> entries, int restartInterval)
    {
        var s = new MemoryStream();
        var restarts = new List<uint>();
        byte[] previous = [];
        for (int i = 0; i < entries.Count; i++)
        {
            int shared = 0;
            if (i % restartInterval == 0) restarts.Add((uint)s.Length);
            else while (shared < previous.Length && shared < entries[i].Key.Length && previous[shared] == entries[i].Key[shared]) shared++;
            Varint(s, (ulong)shared); Varint(s, (ulong)(entries[i].Key.Length - shared)); Varint(s, (ulong)entries[i].Value.Length);
            s.Write(entries[i].Key.AsSpan(shared)); s.Write(entries[i].Value);
            previous = entries[i].Key;
        }
        if (restarts.Count == 0) restarts.Add(0);
        foreach (uint r in restarts) s.Write(BitConverter.GetBytes(r));
        s.Write(BitConverter.GetBytes((uint)restarts.Count));
        return s.ToArray();
    }

    private static (long Offset, long Size) WriteBlock(MemoryStream file, byte[] contents)
    {
        long offset = file.Length;
        file.Write(contents);
        file.WriteByte(0);
        uint crc = Crc32C.Extend(Crc32C.Compute(contents), [0]);
        file.Write(BitConverter.GetBytes(Crc32C.Mask(crc)));
        return (offset, contents.Length);
    }

    private static void Varint(Stream s, ulong value)
    {
        while (value >= 0x80) { s.WriteByte((byte)(value | 0x80)); value >>= 7; }
        s.WriteByte((byte)value);
    }
}
