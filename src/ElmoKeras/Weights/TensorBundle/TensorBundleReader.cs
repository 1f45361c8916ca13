using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;

namespace ElmoKeras.Weights.TensorBundle;

/// <summary>
/// Reads TensorFlow V2 checkpoints ("tensor bundles": <c>prefix.index</c>, an SSTable of
/// <c>BundleEntryProto</c>s, plus <c>prefix.data-NNNNN-of-NNNNN</c> shards) without TensorFlow, checking
/// every CRC (protobuf fields through Google.Protobuf, Snappy blocks through Snappier). Corrupt,
/// truncated or unsupported files fail with a <see cref="WeightFormatException"/> naming the file and
/// variable; no allocation is sized by an unchecked length.
/// </summary>
internal sealed class TensorBundleReader : IWeightSource
{
    private const ulong TableMagic = 0xdb4775248b80fb57UL;
    private const int FooterLength = 48;
    private readonly Dictionary<string, TensorBundleEntry> entries = new(StringComparer.Ordinal);
    private readonly string prefix;
    private readonly int numShards;

    private TensorBundleReader(string prefix)
    {
        this.prefix = prefix;
        Path = prefix + ".index";
        numShards = ReadIndex();
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>Every tensor in the checkpoint.</summary>
    public IReadOnlyCollection<TensorBundleEntry> Entries => entries.Values;

    /// <summary>Names of the numeric tensors (what <see cref="Read"/> can give as float32).</summary>
    public IReadOnlyCollection<string> Names => entries.Values.Where(e => IsNumeric(e.DataType)).Select(e => e.Name).ToList();

    /// <summary>
    /// Opens a checkpoint by prefix (<c>…/variables/variables</c>), by its <c>.index</c> file, or by a
    /// <c>variables</c> folder holding <c>variables.index</c>.
    /// </summary>
    public static TensorBundleReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string prefix = Directory.Exists(path) ? System.IO.Path.Combine(path, "variables")
            : path.EndsWith(".index", StringComparison.Ordinal) ? path[..^".index".Length] : path;
        if (!File.Exists(prefix + ".index"))
            throw new FileNotFoundException($"No TensorFlow checkpoint index at '{prefix}.index'. Pass the checkpoint prefix (…/variables/variables) or its folder.", prefix + ".index");
        return new TensorBundleReader(prefix);
    }

    /// <summary>The entry called <paramref name="name"/>, or null.</summary>
    public TensorBundleEntry? Find(string name) => entries.GetValueOrDefault(name);

    /// <inheritdoc/>
    public long[]? TryGetShape(string name) => entries.TryGetValue(name, out TensorBundleEntry? e) ? e.Shape : null;

    /// <inheritdoc/>
    public WeightArray Read(string name)
    {
        TensorBundleEntry entry = Entry(name);
        float[] data = entry.DataType switch
        {
            TfDataType.Float => ReadFloat32(name),
            TfDataType.Double => Array.ConvertAll(ReadFloat64(name), v => (float)v),
            TfDataType.Int32 => Array.ConvertAll(ReadInt32(name), v => (float)v),
            TfDataType.Int64 => Array.ConvertAll(ReadInt64(name), v => (float)v),
            TfDataType.BFloat16 => Convert(ReadRaw(entry, 2), 2, (b, i) => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[i..]) << 16)),
            TfDataType.Half => Convert(ReadRaw(entry, 2), 2, (b, i) => (float)BinaryPrimitives.ReadHalfLittleEndian(b[i..])),
            _ => throw Error($"variable '{name}' has dtype {entry.DataType}; expected a numeric tensor"),
        };
        var array = new WeightArray(name, entry.Shape, data);
        FiniteValues.Require(array, Path);
        return array;
    }

    /// <summary>A float32 tensor's values.</summary>
    public float[] ReadFloat32(string name) => Convert(ReadRaw(Expect(name, TfDataType.Float), 4), 4, (b, i) => BinaryPrimitives.ReadSingleLittleEndian(b[i..]));

    /// <summary>A float64 tensor's values.</summary>
    public double[] ReadFloat64(string name) => Convert(ReadRaw(Expect(name, TfDataType.Double), 8), 8, (b, i) => BinaryPrimitives.ReadDoubleLittleEndian(b[i..]));

    /// <summary>An int32 tensor's values.</summary>
    public int[] ReadInt32(string name) => Convert(ReadRaw(Expect(name, TfDataType.Int32), 4), 4, (b, i) => BinaryPrimitives.ReadInt32LittleEndian(b[i..]));

    /// <summary>An int64 tensor's values.</summary>
    public long[] ReadInt64(string name) => Convert(ReadRaw(Expect(name, TfDataType.Int64), 8), 8, (b, i) => BinaryPrimitives.ReadInt64LittleEndian(b[i..]));

    /// <summary>A string tensor's values as raw bytes.</summary>
    public byte[][] ReadByteStrings(string name)
    {
        TensorBundleEntry entry = Expect(name, TfDataType.String);
        byte[] bytes = ReadRaw(entry, elementSize: 0);
        long count = entry.ElementCount;
        // Every string costs at least its one-byte length, so a larger count is corrupt (and must not size an allocation).
        if (count > bytes.Length) throw Error($"variable '{name}' has shape {WeightArray.FormatShape(entry.Shape)} ({count} strings) but only {bytes.Length} bytes");
        var lengths = new ulong[count];
        int pos = 0;
        uint lengthCrc = 0;
        Span<byte> encoded = stackalloc byte[8];
        for (long i = 0; i < count; i++)
        {
            lengths[i] = ReadVarint(bytes, ref pos, name);
            // The lengths' checksum runs over each length as a little-endian uint32 (uint64 when it does not fit).
            int width = lengths[i] > uint.MaxValue ? 8 : 4;
            if (width == 4) BinaryPrimitives.WriteUInt32LittleEndian(encoded, (uint)lengths[i]);
            else BinaryPrimitives.WriteUInt64LittleEndian(encoded, lengths[i]);
            lengthCrc = Crc32C.Extend(lengthCrc, encoded[..width]);
        }
        if (pos + 4 > bytes.Length) throw Error($"variable '{name}': string tensor truncated before its length checksum");
        uint storedLengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos));
        if (Crc32C.Unmask(storedLengthCrc) != lengthCrc) throw Error($"variable '{name}': the checksum of the string lengths does not match (corrupt data)");
        uint entryCrc = Crc32C.Extend(lengthCrc, bytes.AsSpan(pos, 4));
        pos += 4;
        int start = pos;
        var result = new byte[count][];
        for (long i = 0; i < count; i++)
        {
            if (lengths[i] > (ulong)(bytes.Length - pos)) throw Error($"variable '{name}': string {i} of {lengths[i]} bytes runs past the tensor's {bytes.Length} bytes");
            result[i] = bytes.AsSpan(pos, (int)lengths[i]).ToArray();
            pos += (int)lengths[i];
        }
        entryCrc = Crc32C.Extend(entryCrc, bytes.AsSpan(start, pos - start));
        if (Crc32C.Unmask(entry.MaskedCrc32C) != entryCrc) throw Error($"variable '{name}': checksum mismatch (corrupt data)");
        return result;
    }

    /// <summary>A string tensor's values decoded as UTF-8.</summary>
    public string[] ReadStrings(string name) => ReadByteStrings(name).Select(b => Encoding.UTF8.GetString(b)).ToArray();

    /// <inheritdoc/>
    public void Dispose() { }

    private TensorBundleEntry Entry(string name) => entries.TryGetValue(name, out TensorBundleEntry? entry)
        ? entry : throw Error($"no variable '{name}'");

    private TensorBundleEntry Expect(string name, TfDataType type)
    {
        TensorBundleEntry entry = Entry(name);
        if (entry.DataType != type) throw Error($"variable '{name}' has dtype {entry.DataType}, not {type}");
        return entry;
    }

    private static bool IsNumeric(TfDataType type) => type is TfDataType.Float or TfDataType.Double or TfDataType.Int32 or TfDataType.Int64 or TfDataType.BFloat16 or TfDataType.Half;

    private delegate T ElementReader<T>(ReadOnlySpan<byte> bytes, int offset);

    private static T[] Convert<T>(byte[] bytes, int size, ElementReader<T> read)
    {
        var result = new T[bytes.Length / size];
        for (int i = 0; i < result.Length; i++) result[i] = read(bytes, i * size);
        return result;
    }

    /// <summary>The tensor's bytes, checked against the shape (for fixed-size types) and the stored CRC.</summary>
    private byte[] ReadRaw(TensorBundleEntry entry, int elementSize)
    {
        if (elementSize > 0 && (entry.ElementCount > long.MaxValue / elementSize || entry.ElementCount * elementSize != entry.Size))
            throw Error($"variable '{entry.Name}' has shape {WeightArray.FormatShape(entry.Shape)} ({entry.ElementCount} values of {elementSize} bytes) but {entry.Size} bytes");
        string shard = $"{prefix}.data-{entry.ShardId:D5}-of-{numShards:D5}";
        if (!File.Exists(shard)) throw Error($"variable '{entry.Name}' lives in '{shard}', which does not exist");
        using FileStream stream = File.OpenRead(shard);
        if (entry.Offset < 0 || entry.Size < 0 || entry.Offset > stream.Length || entry.Size > stream.Length - entry.Offset)
            throw Error($"variable '{entry.Name}' claims bytes [{entry.Offset}, {(ulong)entry.Offset + (ulong)entry.Size}) of '{shard}', which has {stream.Length} bytes (truncated or corrupt)");
        if (entry.Size > Array.MaxLength)
            throw Error($"variable '{entry.Name}' has {entry.Size} bytes, more than one array can hold");
        var bytes = new byte[entry.Size];
        stream.Position = entry.Offset;
        stream.ReadExactly(bytes);
        if (elementSize > 0 && Crc32C.Unmask(entry.MaskedCrc32C) != Crc32C.Compute(bytes))
            throw Error($"variable '{entry.Name}': checksum mismatch in '{shard}' (corrupt data)");
        return bytes;
    }

    private int ReadIndex()
    {
        byte[] file = File.ReadAllBytes(Path);
        if (file.Length < FooterLength) throw Error($"the index has {file.Length} bytes, fewer than the {FooterLength}-byte table footer");
        ReadOnlySpan<byte> footer = file.AsSpan(file.Length - FooterLength);
        if (BinaryPrimitives.ReadUInt64LittleEndian(footer[40..]) != TableMagic) throw Error("bad magic number: not a TensorFlow checkpoint index (SSTable)");
        int pos = 0;
        ReadHandle(footer, ref pos, "metaindex");
        var (indexOffset, indexSize) = ReadHandle(footer, ref pos, "index");
        int shards = 0;
        bool sawHeader = false;
        foreach (var (_, handleBytes) in BlockEntries(ReadBlock(file, indexOffset, indexSize, "index block")))
        {
            int hp = 0;
            var (blockOffset, blockSize) = ReadHandle(handleBytes, ref hp, "data block");
            foreach (var (key, value) in BlockEntries(ReadBlock(file, blockOffset, blockSize, "data block")))
            {
                if (key.Length == 0)
                {
                    shards = ParseHeader(value);
                    sawHeader = true;
                }
                else
                {
                    string name = Encoding.UTF8.GetString(key);
                    entries[name] = ParseEntry(name, value);
                }
            }
        }
        if (!sawHeader) throw Error("the index has no bundle header (the entry with the empty key)");
        foreach (TensorBundleEntry entry in entries.Values)
            if (entry.ShardId < 0 || entry.ShardId >= shards) throw Error($"variable '{entry.Name}' names shard {entry.ShardId}, but the header says {shards} shard(s)");
        return shards;
    }

    private (long Offset, long Size) ReadHandle(ReadOnlySpan<byte> bytes, ref int pos, string what)
    {
        ulong offset = ReadVarint(bytes, ref pos, what), size = ReadVarint(bytes, ref pos, what);
        if (offset > long.MaxValue || size > int.MaxValue) throw Error($"{what} handle out of range ({offset}, {size})");
        return ((long)offset, (long)size);
    }

    private byte[] ReadBlock(byte[] file, long offset, long size, string what)
    {
        // Compared by subtraction: offset may be near long.MaxValue, where offset + size wraps.
        if (offset < 0 || size < 0 || offset > file.Length || size + 5 > file.Length - offset)
            throw Error($"{what} at offset {offset} with {size} bytes (plus a 5-byte trailer) lies outside the {file.Length}-byte index (truncated or corrupt)");
        ReadOnlySpan<byte> contents = file.AsSpan((int)offset, (int)size);
        byte type = file[offset + size];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)(offset + size + 1), 4));
        uint actual = Crc32C.Extend(Crc32C.Compute(contents), file.AsSpan((int)(offset + size), 1));
        if (Crc32C.Unmask(stored) != actual) throw Error($"{what} at offset {offset}: checksum mismatch (corrupt index)");
        return type switch
        {
            0 => contents.ToArray(),
            1 => Snappy.Decompress(contents, maxLength: 64L * file.Length + 4096, message => Error($"{what} at offset {offset}: {message}")),
            _ => throw Error($"{what} at offset {offset}: unknown compression type {type}"),
        };
    }

    private IEnumerable<(byte[] Key, byte[] Value)> BlockEntries(byte[] block)
    {
        if (block.Length < 4) throw Error("a table block is shorter than its restart count");
        uint restarts = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(block.Length - 4));
        long end = block.Length - 4 - 4L * restarts;
        if (end < 0) throw Error($"a table block declares {restarts} restarts, more than fit in its {block.Length} bytes");
        var result = new List<(byte[], byte[])>();
        byte[] key = [];
        int pos = 0;
        while (pos < end)
        {
            ulong shared = ReadVarint(block, ref pos, "block entry"), nonShared = ReadVarint(block, ref pos, "block entry"), valueLength = ReadVarint(block, ref pos, "block entry");
            if (shared > (ulong)key.Length || nonShared > (ulong)(end - pos) || valueLength > (ulong)(end - pos) - nonShared)
                throw Error("a table block entry runs past its block (corrupt index)");
            byte[] next = new byte[(int)shared + (int)nonShared];
            key.AsSpan(0, (int)shared).CopyTo(next);
            block.AsSpan(pos, (int)nonShared).CopyTo(next.AsSpan((int)shared));
            pos += (int)nonShared;
            byte[] value = block.AsSpan(pos, (int)valueLength).ToArray();
            pos += (int)valueLength;
            key = next;
            result.Add((key, value));
        }
        return result;
    }

    // The bundle's protobuf messages are read with Google.Protobuf's CodedInputStream, field by field
    // (tags as proto3 encodes them; other fields and wire types are skipped as generated code does).
    // Its InvalidProtocolBufferException (truncation, bad tags, overlong varints) becomes a
    // WeightFormatException naming the file and variable.
    private static readonly uint NumShardsTag = WireFormat.MakeTag(1, WireFormat.WireType.Varint), EndiannessTag = WireFormat.MakeTag(2, WireFormat.WireType.Varint);
    private static readonly uint DtypeTag = WireFormat.MakeTag(1, WireFormat.WireType.Varint), ShapeTag = WireFormat.MakeTag(2, WireFormat.WireType.LengthDelimited),
        ShardIdTag = WireFormat.MakeTag(3, WireFormat.WireType.Varint), OffsetTag = WireFormat.MakeTag(4, WireFormat.WireType.Varint),
        SizeTag = WireFormat.MakeTag(5, WireFormat.WireType.Varint), Crc32CTag = WireFormat.MakeTag(6, WireFormat.WireType.Fixed32),
        SlicesTag = WireFormat.MakeTag(7, WireFormat.WireType.LengthDelimited);
    private static readonly uint DimTag = WireFormat.MakeTag(2, WireFormat.WireType.LengthDelimited), UnknownRankTag = WireFormat.MakeTag(3, WireFormat.WireType.Varint),
        DimSizeTag = WireFormat.MakeTag(1, WireFormat.WireType.Varint);

    /// <summary>BundleHeaderProto: 1 num_shards (int32), 2 endianness (0 little, 1 big), 3 version (skipped).</summary>
    private int ParseHeader(byte[] value)
    {
        long shards = 1;
        var input = new CodedInputStream(value);
        try
        {
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                if (tag == NumShardsTag) shards = input.ReadInt32();
                else if (tag == EndiannessTag)
                {
                    if (input.ReadEnum() != 0) throw Error("the checkpoint is big-endian; only little-endian checkpoints are supported");
                }
                else input.SkipLastField();
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Error($"bundle header: {e.Message.TrimEnd('.')}", e);
        }
        if (shards is <= 0 or > 100_000) throw Error($"bundle header declares {shards} shards");
        return (int)shards;
    }

    /// <summary>
    /// BundleEntryProto: 1 dtype, 2 shape (TensorShapeProto), 3 shard_id (int32), 4 offset, 5 size
    /// (int64), 6 crc32c (fixed32), 7 slices (present only for partitioned variables).
    /// </summary>
    private TensorBundleEntry ParseEntry(string name, byte[] value)
    {
        TfDataType type = TfDataType.Invalid;
        long[] shape = [];
        long shard = 0, offset = 0, size = 0;
        uint crc = 0;
        var input = new CodedInputStream(value);
        try
        {
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                if (tag == DtypeTag) type = (TfDataType)input.ReadEnum();
                else if (tag == ShapeTag) shape = ParseShape(name, input.ReadBytes());
                else if (tag == ShardIdTag) shard = input.ReadInt32();
                else if (tag == OffsetTag) offset = input.ReadInt64();
                else if (tag == SizeTag) size = input.ReadInt64();
                else if (tag == Crc32CTag) crc = input.ReadFixed32();
                else if (tag == SlicesTag) throw Error($"variable '{name}' is partitioned (stored in slices); partitioned variables are not supported");
                else input.SkipLastField();
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Error($"variable '{name}': {e.Message.TrimEnd('.')}", e);
        }
        if (shard is < 0 or > int.MaxValue) throw Error($"variable '{name}' has shard id {shard}");
        if (offset < 0 || size < 0) throw Error($"variable '{name}' has offset {offset} and size {size}");
        return new TensorBundleEntry(name, type, shape, (int)shard, offset, size, crc);
    }

    /// <summary>TensorShapeProto: 2 dim (each 1 size int64, 2 name), 3 unknown_rank (bool).</summary>
    private long[] ParseShape(string name, ByteString bytes)
    {
        var dims = new List<long>();
        long count = 1;
        CodedInputStream input = bytes.CreateCodedInput();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (tag == DimTag)
            {
                CodedInputStream dim = input.ReadBytes().CreateCodedInput();
                long size = 0;
                for (uint dimTag; (dimTag = dim.ReadTag()) != 0;)
                {
                    if (dimTag == DimSizeTag) size = dim.ReadInt64();
                    else dim.SkipLastField();
                }
                if (size < 0) throw Error($"variable '{name}' has an unknown or negative dimension ({size})");
                if (size > 0 && count > long.MaxValue / size) throw Error($"variable '{name}' has a shape whose element count overflows");
                count *= size;
                dims.Add(size);
            }
            else if (tag == UnknownRankTag)
            {
                if (input.ReadBool()) throw Error($"variable '{name}' has an unknown rank");
            }
            else input.SkipLastField();
        }
        return dims.ToArray();
    }

    private ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int pos, string what) => Varint.Read(bytes, ref pos, message => Error($"{what}: {message}"));

    private WeightFormatException Error(string message, Exception? inner = null) => inner is null
        ? new($"'{Path}': {message}.") { FilePath = Path }
        : new($"'{Path}': {message}.", inner) { FilePath = Path };
}
