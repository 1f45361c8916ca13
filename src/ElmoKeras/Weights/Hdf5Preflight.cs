using System.Buffers.Binary;

namespace ElmoKeras.Weights;

/// <summary>
/// Checks the size fields of HDF5 heaps before PureHDF reads them: PureHDF allocates a local heap's
/// data segment and a global heap collection by their declared sizes, so a corrupt size would
/// allocate up to 2 GB before anything fails. A heap is recognised by its signature and version
/// byte (PureHDF checks neither the reserved bytes nor the size); float weights practically never
/// hold those five bytes, whose float value would be about 1.3e10.
/// It also verifies the checksums HDF5 puts on version-2 metadata, which PureHDF does not: the
/// superblock (v2/v3) and every v2 object header (<c>OHDR</c>), so a flipped bit in a header written
/// by PureHDF (every file ElmoKeras writes) is refused before PureHDF decodes, and sizes, anything.
/// </summary>
internal static class Hdf5Preflight
{
    private const int Chunk = 1 << 20;
    private const int HeaderLength = 32; // signature, version, reserved, then up to three 8-byte fields

    /// <exception cref="WeightFormatException">A heap declares more bytes than the file has, or a metadata checksum differs.</exception>
    public static void Check(string path)
    {
        using FileStream stream = File.OpenRead(path);
        long length = stream.Length;
        bool version2 = CheckSuperblock(stream, path);
        var buffer = new byte[Chunk + HeaderLength];
        long start = 0;
        while (start < length)
        {
            stream.Position = start;
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            ReadOnlySpan<byte> span = buffer.AsSpan(0, read);
            int limit = Math.Min(read, Chunk);
            for (int i = span.IndexOf((byte)'H'); i >= 0 && i < limit; i = NextH(span, i + 1))
            {
                if (i + HeaderLength > read) break;
                ReadOnlySpan<byte> at = span[i..];
                if (at.StartsWith("HEAP"u8) && at[4] == 0)
                {
                    // Local heap v0: data segment size, free-list offset, data segment address.
                    ulong size = BinaryPrimitives.ReadUInt64LittleEndian(at[8..]), address = BinaryPrimitives.ReadUInt64LittleEndian(at[24..]);
                    if (size > (ulong)length || (address != ulong.MaxValue && (address > (ulong)length || size > (ulong)length - address)))
                        throw Error(path, start + i, $"a local heap declares {size} bytes at address {address}, more than the {length}-byte file holds");
                }
            }
            for (int i = span.IndexOf((byte)'G'); i >= 0 && i < limit; i = NextG(span, i + 1))
            {
                if (i + HeaderLength > read) break;
                ReadOnlySpan<byte> at = span[i..];
                if (at.StartsWith("GCOL"u8) && at[4] == 1)
                {
                    ulong size = BinaryPrimitives.ReadUInt64LittleEndian(at[8..]);
                    if (size > (ulong)length) throw Error(path, start + i, $"a global heap collection declares {size} bytes, more than the {length}-byte file holds");
                }
            }
            if (version2)
            {
                for (int i = span.IndexOf("OHDR"u8); i >= 0 && i < limit; i = Next(span, i + 1, "OHDR"u8))
                    CheckObjectHeader(stream, start + i, path);
            }
            start += Chunk;
        }
    }

    private static int Next(ReadOnlySpan<byte> span, int from, ReadOnlySpan<byte> signature) =>
        from >= span.Length ? -1 : span[from..].IndexOf(signature) is var i and >= 0 ? from + i : -1;

    /// <summary>Verifies a v2/v3 superblock's checksum; true when the file uses v2 metadata.</summary>
    private static bool CheckSuperblock(FileStream stream, string path)
    {
        Span<byte> head = stackalloc byte[12 + 4 * 8 + 4];
        stream.Position = 0;
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read < 12 || head[8] < 2) return false;
        int offsets = head[9];
        if (offsets is not (2 or 4 or 8)) throw Error(path, 9, $"the superblock gives {offsets}-byte offsets");
        int checksumAt = 12 + 4 * offsets;
        if (read < checksumAt + 4) throw Error(path, 0, "the superblock is truncated");
        if (Lookup3.Hash(head[..checksumAt]) != BinaryPrimitives.ReadUInt32LittleEndian(head[checksumAt..]))
            throw Error(path, 0, "the superblock's checksum does not match (corrupt metadata)");
        return true;
    }

    /// <summary>Verifies a v2 object header's checksum (prefix and first chunk).</summary>
    private static void CheckObjectHeader(FileStream stream, long offset, string path)
    {
        Span<byte> prefix = stackalloc byte[6 + 16 + 4 + 8];
        stream.Position = offset;
        int read = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        // Version 2 and no reserved flag bits: anything else is not a header (or PureHDF refuses it).
        if (read < 7 || prefix[4] != 2 || (prefix[5] & 0xC0) != 0) return;
        byte flags = prefix[5];
        int at = 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0);
        int width = 1 << (flags & 3);
        if (read < at + width) throw Error(path, offset, "an object header is truncated");
        ulong size = width switch
        {
            1 => prefix[at],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(prefix[at..]),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(prefix[at..]),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(prefix[at..]),
        };
        long headerLength = at + width;
        // A header's first message has a known type (0 to 0x18); float data that happens to spell
        // "OHDR\x02" almost never continues like that, so it is not mistaken for a corrupt header.
        if (read > headerLength && prefix[(int)headerLength] > 0x18) return;
        if (size > (ulong)(stream.Length - offset - headerLength - 4))
            throw Error(path, offset, $"an object header declares {size} bytes of messages");
        var header = new byte[headerLength + (long)size + 4];
        stream.Position = offset;
        stream.ReadExactly(header);
        if (Lookup3.Hash(header.AsSpan(0, header.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(header.Length - 4)))
            throw Error(path, offset, "an object header's checksum does not match (corrupt metadata)");
    }

    private static int NextH(ReadOnlySpan<byte> span, int from) => from >= span.Length ? -1 : span[from..].IndexOf((byte)'H') is var i and >= 0 ? from + i : -1;

    private static int NextG(ReadOnlySpan<byte> span, int from) => from >= span.Length ? -1 : span[from..].IndexOf((byte)'G') is var i and >= 0 ? from + i : -1;

    private static WeightFormatException Error(string path, long offset, string what) =>
        new($"'{path}' is corrupt: at byte {offset}, {what}.") { FilePath = path };
}
