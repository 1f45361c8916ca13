using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace ElmoKeras.Tests.TestSupport;

/// <summary>Builds small tar.gz and zip archives, including hostile ones, for extraction tests.</summary>
internal static class TestArchives
{
    /// <summary>Writes a gzip-compressed tar whose entries <paramref name="write"/> adds.</summary>
    public static string TarGz(string path, Action<TarWriter> write)
    {
        using (var file = System.IO.File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            write(tar);
        return path;
    }

    /// <summary>Writes a tar.gz with one regular file per (name, content) pair.</summary>
    public static string TarGz(string path, params (string Name, string Content)[] files) =>
        TarGz(path, tar =>
        {
            foreach (var (name, content) in files)
                tar.WriteEntry(File(name, content));
        });

    public static PaxTarEntry File(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    public static PaxTarEntry SymbolicLink(string name, string target) =>
        new(TarEntryType.SymbolicLink, name) { LinkName = target };

    public static PaxTarEntry HardLink(string name, string target) =>
        new(TarEntryType.HardLink, name) { LinkName = target };

    /// <summary>Writes a zip with one entry per (name, content) pair; a name ending in '/' is a folder.</summary>
    public static string Zip(string path, params (string Name, string Content)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in entries)
        {
            ZipArchiveEntry entry = zip.CreateEntry(name);
            if (!name.EndsWith('/'))
            {
                using var writer = new StreamWriter(entry.Open());
                writer.Write(content);
            }
        }
        return path;
    }

    /// <summary>Writes a zip holding one Unix symbolic link entry (content = link target) and then a file.</summary>
    public static string ZipWithSymbolicLink(string path, string linkName, string linkTarget, string fileName)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        ZipArchiveEntry link = zip.CreateEntry(linkName);
        link.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // S_IFLNK | 0777
        using (var writer = new StreamWriter(link.Open()))
            writer.Write(linkTarget);
        ZipArchiveEntry file = zip.CreateEntry(fileName);
        using (var writer = new StreamWriter(file.Open()))
            writer.Write("payload");
        return path;
    }
}
