using System.Buffers.Binary;

namespace ElmoKeras.Weights;

/// <summary>
/// Checks the size fields of HDF5 heaps before PureHDF reads them: PureHDF allocates a local heap's
/// data segment and a global heap collection by their declared sizes, so a corrupt size would
/// allocate up to 2 GB before anything fails. A heap is recognised by its signature and version
/// byte (PureHDF checks neither the reserved bytes nor the size); float weights practically never
/// hold those five bytes, whose float value would be about 1.3e10.
/// </summary>
internal static class Hdf5Preflight
{
    private const int Chunk = 1 << 20;
    private const int HeaderLength = 32; // signature, version, reserved, then up to three 8-byte fields

    /// <exception cref="WeightFormatException">A heap declares more bytes than the file has.</exception>
    public static void Check(string path)
    {
        using FileStream stream = File.OpenRead(path);
        long length = stream.Length;
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
                        throw Error(path, start + i, $"a local heap declares {size} bytes at address {address}");
                }
            }
            for (int i = span.IndexOf((byte)'G'); i >= 0 && i < limit; i = NextG(span, i + 1))
            {
                if (i + HeaderLength > read) break;
                ReadOnlySpan<byte> at = span[i..];
                if (at.StartsWith("GCOL"u8) && at[4] == 1)
                {
                    ulong size = BinaryPrimitives.ReadUInt64LittleEndian(at[8..]);
                    if (size > (ulong)length) throw Error(path, start + i, $"a global heap collection declares {size} bytes");
                }
            }
            start += Chunk;
        }
    }

    private static int NextH(ReadOnlySpan<byte> span, int from) => from >= span.Length ? -1 : span[from..].IndexOf((byte)'H') is var i and >= 0 ? from + i : -1;

    private static int NextG(ReadOnlySpan<byte> span, int from) => from >= span.Length ? -1 : span[from..].IndexOf((byte)'G') is var i and >= 0 ? from + i : -1;

    private static WeightFormatException Error(string path, long offset, string what) =>
        new($"'{path}' is corrupt: at byte {offset}, {what}, more than the {new FileInfo(path).Length}-byte file holds.") { FilePath = path };
}
