using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ElmoKeras.Data;
using ElmoKeras.IO;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>
/// A pax <c>.tar.gz</c> through <see cref="ArchiveExtractor.Extract"/>: mutations of the compressed
/// bytes, and of the tar inside it recompressed with a valid gzip CRC (headers, sizes, checksums,
/// types, names, pax records, file contents).
/// </summary>
internal sealed class ArchiveTarget : FuzzTarget
{
    private readonly Dictionary<string, byte[]> files = new(StringComparer.Ordinal);
    private byte[] tar = [], gzip = [];
    private List<int> headerFields = [];

    public override string Name => "archive";
    public override string Description => "`.tar.gz` → `ArchiveExtractor.Extract`, files compared";
    public override IReadOnlyList<Type> Documented => [typeof(ArchiveExtractionException)];

    public override void Prepare(string workDirectory)
    {
        var random = new Random(7);
        byte[] binary = new byte[3000];
        random.NextBytes(binary);
        files["top/a.txt"] = Encoding.UTF8.GetBytes("alpha beta gamma");
        files["top/" + new string('d', 70) + "/" + new string('f', 80) + ".txt"] = Encoding.UTF8.GetBytes("long name");
        files["b/empty.txt"] = [];
        files["c.bin"] = binary;
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "top/"));
            foreach (var (name, content) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        }
        tar = stream.ToArray();
        gzip = Gzip(tar);
        // Every header's name, size, checksum and type fields; pax records sit in the block after an 'x' header.
        for (int at = 0; at + 512 <= tar.Length; at += 512)
            if (tar.AsSpan(at + 257, 5).SequenceEqual("ustar"u8)) headerFields.AddRange([at, at + 124, at + 148, at + 156, at + 512]);
    }

    private static byte[] Gzip(byte[] data)
    {
        var stream = new MemoryStream();
        using (var gz = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return stream.ToArray();
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        byte[] mutated = random.Next(3) == 0 ? Mutator.Mutate(gzip, random) : Gzip(Mutator.Mutate(tar, random, headerFields));
        if (mutated.AsSpan().SequenceEqual(gzip)) return new(Outcome.Unmutated);
        string archive = Path.Combine(caseDirectory, "a.tar.gz"), target = Path.Combine(caseDirectory, "out", "target");
        File.WriteAllBytes(archive, mutated);
        ArchiveExtractor.Extract(archive, target);
        foreach (string entry in Directory.EnumerateFileSystemEntries(Path.Combine(caseDirectory, "out")))
            if (Path.GetFileName(entry) is not ("target" or "target.lock")) return new(Outcome.Untyped, $"wrote '{entry}' beside the target");
        var found = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(target, p).Replace('\\', '/')).Where(p => p != ".elmokeras-extracted").ToHashSet(StringComparer.Ordinal);
        bool same = found.SetEquals(files.Keys) && files.All(f => File.ReadAllBytes(Path.Combine(target, f.Key)).AsSpan().SequenceEqual(f.Value));
        return same ? new(Outcome.Same) : new(Outcome.Changed, "extracted files differ (tar has no checksum over names or contents)");
    }
}
