using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ElmoKeras.Data;
using ElmoKeras.IO;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.IO;

/// <summary>
/// Issue 12, defect 5: corrupt archives fail with ArchiveExtractionException and leave neither a
/// target folder nor a completion marker, so a partial extraction is never reused.
/// </summary>
public sealed class ArchiveIntegrityTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string target;

    public ArchiveIntegrityTests() => target = temp.Combine("work", "target");

    public void Dispose() => temp.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Tar(params (string Name, string Content)[] files)
    {
        var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: true))
            foreach (var (name, content) in files)
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        return stream.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return stream.ToArray();
    }

    /// <summary>A ustar header with a correct checksum; <paramref name="size"/> in octal, or base-256 when it does not fit.</summary>
    private static byte[] Header(string name, char type, long size)
    {
        var h = new byte[512];
        Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
        Encoding.ASCII.GetBytes("0000644\0" + "0000000\0" + "0000000\0").CopyTo(h, 100);
        if (size <= 0x1FFFFFFFF) Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        else
        {
            h[124] = 0x80;
            for (int i = 0; i < 8; i++) h[135 - i] = (byte)(size >> (8 * i));
        }
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
        h[156] = (byte)type;
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(h, 257);
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        int sum = h.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    private static byte[] Padded(string content)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(content);
        return [.. bytes, .. new byte[(512 - bytes.Length % 512) % 512]];
    }

    private string Write(string name, byte[] bytes)
    {
        string path = temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private ArchiveExtractionException AssertRefused(string archive)
    {
        var ex = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));
        Assert.Contains(archive, ex.Message);
        Assert.False(Directory.Exists(target), "a target folder was left behind");
        Assert.False(Directory.Exists(target + ".partial"), "a partial folder was left behind");
        return ex;
    }

    [Fact]
    public void GzipCrcMismatchIsDetected()
    {
        byte[] archive = Gzip(Tar(("a.txt", "alpha"), ("b.txt", "beta")));
        archive[^8] ^= 0x01; // the CRC-32 in the gzip trailer
        AssertRefused(Write("crc.tar.gz", archive));
    }

    [Fact]
    public void TarHeaderChecksumMismatchNamesTheEntry()
    {
        byte[] tar = Tar(("a.txt", "alpha"), ("b.txt", "beta"));
        tar[1024 + 100] ^= 0x01; // the second header's mode field; the checksum no longer matches
        var ex = AssertRefused(Write("header.tar.gz", Gzip(tar)));
        Assert.Equal("b.txt", ex.EntryName);
        Assert.Contains("checksum", ex.Message);
    }

    [Fact]
    public void ZeroedChecksumFieldDoesNotEndTheArchiveEarlyAndLeavesNoMarker()
    {
        byte[] tar = Tar(("a.txt", "alpha"), ("b.txt", "beta"));
        tar.AsSpan(1024 + 148, 8).Clear();
        AssertRefused(Write("zeroed.tar.gz", Gzip(tar)));
        // A later, good extraction is not short-circuited by a stale marker.
        string good = Write("good.tar.gz", Gzip(Tar(("a.txt", "alpha"), ("b.txt", "beta"))));
        Assert.True(ArchiveExtractor.Extract(good, target, cancellationToken: Ct));
        Assert.Equal("beta", File.ReadAllText(Path.Combine(target, "b.txt")));
    }

    [Fact]
    public void TruncatedArchiveIsRefused()
    {
        byte[] tar = Tar(("a.txt", "alpha"), ("b.txt", "beta"));
        AssertRefused(Write("cut.tar.gz", Gzip(tar[..1024])));
    }

    [Theory]
    [InlineData('L')]
    [InlineData('x')]
    public void HugeLongNameOrPaxHeaderIsRefusedWithoutAllocatingIt(char type)
    {
        byte[] tar = [.. Header("././@LongLink", type, 8L << 30), .. Padded("x"), .. new byte[1024]];
        string archive = Write("longname.tar.gz", Gzip(tar));
        long before = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        var ex = AssertRefused(archive);
        Assert.Contains("8589934592 bytes", ex.Message);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000, "the header's size was allocated");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void PaxSizeBeyondTheArchiveIsTyped()
    {
        string records = "20 size=77777777777\n";
        byte[] tar = [.. Header("pax", 'x', records.Length), .. Padded(records), .. Header("f.txt", '0', 5), .. Padded("hello"), .. new byte[1024]];
        AssertRefused(Write("paxsize.tar.gz", Gzip(tar)));
    }

    [Fact]
    public void PaxSizeThatIsNotANumberIsTyped()
    {
        string records = "14 size=-5abc\n";
        byte[] tar = [.. Header("pax", 'x', records.Length), .. Padded(records), .. Header("f.txt", '0', 5), .. Padded("hello"), .. new byte[1024]];
        AssertRefused(Write("paxbad.tar.gz", Gzip(tar)));
    }

    [Fact]
    public void SparseEntryIsRefused()
    {
        byte[] tar = [.. Header("sparse.bin", 'S', 5), .. Padded("hello"), .. new byte[1024]];
        var ex = AssertRefused(Write("sparse.tar.gz", Gzip(tar)));
        Assert.Contains("sparse", ex.Message);
    }

    [Fact]
    public void HandMadeHeadersAreValid()
    {
        // Guards the helper above: the same construction with sane values extracts.
        byte[] tar = [.. Header("f.txt", '0', 5), .. Padded("hello"), .. new byte[1024]];
        Assert.True(ArchiveExtractor.Extract(Write("ok.tar.gz", Gzip(tar)), target, cancellationToken: Ct));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(target, "f.txt")));
    }
}
