using System.Globalization;
using System.Text;

namespace ElmoKeras.IO;

/// <summary>
/// Passes a tar stream through unchanged while checking what <see cref="System.Formats.Tar.TarReader"/>
/// does not: every header's checksum, metadata entries (pax, GNU long names) of a bounded size, no
/// sparse entries, and nothing but zeros after the end-of-archive marker. Headers are checked as their
/// bytes go by, so a hostile header fails before the reader acts on it (for example by allocating
/// the 8 GB a long-name header claims).
/// </summary>
internal sealed class TarValidatingStream(Stream inner, string archivePath) : Stream
{
    private const int Block = 512;

    /// <summary>The largest pax or GNU long-name payload accepted; real ones are a few hundred bytes.</summary>
    internal const int MaxMetadataBytes = 1 << 20;

    private readonly byte[] header = new byte[Block];
    private int headerFill;
    private long dataLeft;            // bytes of the current entry's data and padding still to pass
    private MemoryStream? pax;        // the payload of a pax header being collected
    private long paxLeft;
    private long? nextSize;           // a pax "size" record, which overrides the next header's size field
    private bool endSeen;
    private long position;
    private string lastEntry = "(start of archive)";

    /// <summary>Whether the end-of-archive marker (a zero block) has gone by.</summary>
    public bool EndSeen => endSeen;

    /// <summary>Reads the rest of the stream, so trailing data and the gzip trailer (CRC-32, length) are checked too.</summary>
    public void Drain()
    {
        byte[] buffer = new byte[1 << 16];
        while (Read(buffer, 0, buffer.Length) > 0) { }
        if (!endSeen)
            throw Fail(lastEntry, "the archive ends without its end-of-archive marker (truncated)");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        int n = inner.Read(buffer);
        if (n == 0 && (headerFill > 0 || dataLeft > 0))
            throw Fail(lastEntry, $"the archive ends inside entry '{lastEntry}' (truncated)");
        Feed(buffer[..n]);
        return n;
    }

    private void Feed(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (dataLeft > 0)
            {
                int take = (int)Math.Min(dataLeft, bytes.Length);
                if (pax is not null && paxLeft > 0)
                {
                    int keep = (int)Math.Min(paxLeft, take);
                    pax.Write(bytes[..keep]);
                    paxLeft -= keep;
                    if (paxLeft == 0) ParsePax();
                }
                dataLeft -= take;
                position += take;
                bytes = bytes[take..];
                continue;
            }
            int copy = Math.Min(Block - headerFill, bytes.Length);
            bytes[..copy].CopyTo(header.AsSpan(headerFill));
            headerFill += copy;
            position += copy;
            bytes = bytes[copy..];
            if (headerFill == Block)
            {
                headerFill = 0;
                CheckHeader();
            }
        }
    }

    private void CheckHeader()
    {
        long at = position - Block;
        if (!header.AsSpan().ContainsAnyExcept((byte)0))
        {
            endSeen = true;
            return;
        }
        if (endSeen)
            throw Fail(lastEntry, $"data follows the end-of-archive marker at byte {at} (a zeroed header cut the archive short, or the archive is corrupt)");
        string name = Field(0, 100);
        string entry = name.Length > 0 ? name : $"(header at byte {at})";
        long stored = Octal(148, 8, entry, "checksum");
        long unsigned = 0, signed = 0;
        for (int i = 0; i < Block; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        if (stored != unsigned && stored != signed)
            throw Fail(entry, $"the tar header at byte {at} has checksum {stored}, but its bytes sum to {unsigned} (corrupt header)");
        char type = (char)header[156];
        long size = Size(entry);
        if (type is not ('x' or 'g' or 'L' or 'K') && nextSize is { } paxSize)
        {
            size = paxSize;
            nextSize = null;
        }
        if (type == 'S')
            throw Fail(entry, "it is a sparse file entry, which is not supported");
        if (type is 'x' or 'g' or 'L' or 'K' && size > MaxMetadataBytes)
            throw Fail(entry, $"its {(type is 'L' or 'K' ? "GNU long-name" : "pax")} header claims {size} bytes; at most {MaxMetadataBytes} are accepted (corrupt or hostile archive)");
        if (type is not ('x' or 'g' or 'L' or 'K')) lastEntry = entry;
        pax = type == 'x' && size > 0 ? new MemoryStream((int)size) : null;
        paxLeft = type == 'x' ? size : 0;
        dataLeft = (size + Block - 1) / Block * Block;
    }

    private long Size(string entry)
    {
        // Sizes of 8 GiB and more are stored base-256 with the high bit of the first byte set.
        if ((header[124] & 0x80) != 0)
        {
            if ((header[124] & 0x40) != 0) throw Fail(entry, "its size field is negative");
            long value = header[124] & 0x3F;
            for (int i = 125; i < 136; i++)
            {
                if (value > (long.MaxValue >> 8)) throw Fail(entry, "its size field overflows");
                value = (value << 8) | header[i];
            }
            return value;
        }
        return Octal(124, 12, entry, "size");
    }

    private long Octal(int offset, int length, string entry, string what)
    {
        string text = Encoding.ASCII.GetString(header, offset, length).Trim(' ', '\0');
        long value = 0;
        foreach (char c in text)
        {
            if (c is < '0' or > '7') throw Fail(entry, $"its {what} field '{text}' is not an octal number (corrupt header)");
            value = value * 8 + (c - '0');
        }
        return value;
    }

    private void ParsePax()
    {
        // Records are "<length> <key>=<value>\n"; only "size" changes how the stream is laid out.
        byte[] data = pax!.ToArray();
        pax = null;
        int pos = 0;
        while (pos < data.Length)
        {
            int space = Array.IndexOf(data, (byte)' ', pos);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, pos, space - pos), NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                || length <= space - pos || length > data.Length - pos)
                throw Fail(lastEntry, "a pax header record has an invalid length (corrupt header)");
            string record = Encoding.UTF8.GetString(data, space + 1, length - (space - pos) - 1).TrimEnd('\n');
            if (record.StartsWith("size=", StringComparison.Ordinal))
            {
                if (!long.TryParse(record.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out long size))
                    throw Fail(lastEntry, $"a pax header gives the size '{record[5..]}', which is not a non-negative integer");
                nextSize = size;
            }
            else if (record.StartsWith("GNU.sparse.", StringComparison.Ordinal))
            {
                throw Fail(lastEntry, "a pax header describes a sparse file, which is not supported");
            }
            pos += length;
        }
    }

    private string Field(int offset, int length)
    {
        int end = Array.IndexOf(header, (byte)0, offset, length);
        return Encoding.UTF8.GetString(header, offset, (end < 0 ? offset + length : end) - offset);
    }

    private ArchiveExtractionException Fail(string entry, string message) =>
        new(archivePath, entry, $"'{archivePath}', entry '{entry}': {message}.");

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
