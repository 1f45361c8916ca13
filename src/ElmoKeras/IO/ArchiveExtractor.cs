using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ElmoKeras.IO;

/// <summary>
/// Extracts tar (ustar, GNU and pax), gzip-compressed tar and zip archives safely and once.
/// </summary>
/// <remarks>
/// <para>Safety: an entry with an absolute path, a drive letter or a <c>..</c> step, a symbolic link
/// whose target is absolute or has a <c>..</c> step, a hard link to anything but an earlier entry, or
/// a device or FIFO entry stops the extraction with an <see cref="ArchiveExtractionException"/> and
/// nothing is written outside the target folder.</para>
/// <para>Integrity: tar header checksums, the gzip CRC-32 and length, and the end-of-archive marker are
/// verified; pax and GNU long-name headers are limited to 1 MiB; sparse entries are refused. Any of
/// these failing leaves no target folder and no completion marker. Hard links are extracted as copies; file permissions
/// and times are not restored.</para>
/// <para>Idempotence: the archive is extracted into <c>&lt;target&gt;.partial</c>, which gets a
/// <c>.elmokeras-extracted</c> marker and is then renamed to the target. A target with a marker for
/// the same archive (same length and last-write time) is left as it is; an interrupted extraction
/// leaves only the <c>.partial</c> folder, which the next call removes and redoes (the swap is
/// <see cref="AtomicFile.ReplaceDirectory"/>'s). A
/// <c>&lt;target&gt;.lock</c> file serialises processes extracting to the same target.</para>
/// </remarks>
public static class ArchiveExtractor
{
    private static readonly string[] KnownExtensions = [".tar.gz", ".tgz", ".tar", ".zip"];

    /// <summary>
    /// Extracts <paramref name="archivePath"/> into <paramref name="destinationDirectory"/> unless a
    /// finished extraction of the same archive is already there. The format is recognised from the
    /// content, not the file name.
    /// </summary>
    /// <param name="archivePath">A tar, tar.gz/tgz or zip file.</param>
    /// <param name="destinationDirectory">
    /// The folder to extract into; created when missing. When it exists it must be empty or hold an
    /// earlier extraction made by this method, unless <paramref name="force"/> is set.
    /// </param>
    /// <param name="force">Whether to extract again, replacing whatever the destination holds.</param>
    /// <param name="logger">Where to log; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Stops between entries; the destination is left as it was.</param>
    /// <returns><see langword="true"/> when this call extracted; <see langword="false"/> when the extraction was already there.</returns>
    /// <exception cref="FileNotFoundException">The archive does not exist.</exception>
    /// <exception cref="ArchiveExtractionException">The archive is corrupt, of an unsupported kind, or has an unsafe entry.</exception>
    /// <exception cref="IOException">The destination holds other files (no marker) and <paramref name="force"/> is not set.</exception>
    public static bool Extract(string archivePath, string destinationDirectory, bool force = false, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(archivePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationDirectory);
        logger ??= NullLogger.Instance;
        var archive = new FileInfo(Path.GetFullPath(archivePath));
        if (!archive.Exists)
            throw new FileNotFoundException($"Archive '{archive.FullName}' does not exist.", archive.FullName);
        string destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destinationDirectory));
        if (Path.GetDirectoryName(destination) is not string parent)
            throw new ArgumentException($"Cannot extract into a file-system root ('{destination}'); use a folder below it.", nameof(destinationDirectory));
        Directory.CreateDirectory(parent);

        using FileLock _ = FileLock.Acquire(destination + ".lock", logger, cancellationToken);
        if (!force && ExtractionMarker.Matches(destination, archive))
        {
            IoLog.AlreadyExtracted(logger, archive.FullName, destination);
            return false;
        }
        if (Directory.Exists(destination) && !force && !ExtractionMarker.Exists(destination)
            && Directory.EnumerateFileSystemEntries(destination).Any())
        {
            throw new IOException(
                $"Cannot extract '{archive.FullName}' into '{destination}': the folder already holds files that were not extracted by ElmoKeras " +
                $"(no '{ExtractionMarker.FileName}' marker). Empty or remove it, choose another folder, or pass force: true to replace it.");
        }

        var clock = Stopwatch.StartNew();
        IoLog.Extracting(logger, archive.FullName, destination);
        int fileCount = 0;
        AtomicFile.ReplaceDirectory(destination, partial =>
        {
            var target = new ExtractionTarget(archive.FullName, partial);
            ExtractInto(archive.FullName, target, cancellationToken);
            ExtractionMarker.Write(partial, archive);
            fileCount = target.FileCount;
        });
        IoLog.Extracted(logger, archive.FullName, fileCount, destination, clock.Elapsed.TotalSeconds);
        return true;
    }

    /// <summary>The folder <see cref="FileFetcher.GetFileAsync"/> extracts into: beside the archive, named without its archive extension.</summary>
    internal static string DefaultDestination(string archivePath)
    {
        string name = Path.GetFileName(archivePath);
        foreach (string extension in KnownExtensions)
        {
            if (name.Length > extension.Length && name.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
                return Path.Combine(Path.GetDirectoryName(archivePath)!, name[..^extension.Length]);
        }
        return archivePath + "_extracted";
    }

    private static void ExtractInto(string archivePath, ExtractionTarget target, CancellationToken cancellationToken)
    {
        ArchiveFormat format = DetectFormat(archivePath);
        try
        {
            if (format == ArchiveFormat.Zip)
                ExtractZip(archivePath, target, cancellationToken);
            else
                ExtractTar(archivePath, format == ArchiveFormat.TarGzip, target, cancellationToken);
        }
        // TarReader reports some malformed fields (a pax size it cannot parse, sparse or unknown
        // formats) with these general types; they all mean the archive is bad.
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException
                                       or InvalidOperationException or NotSupportedException or OverflowException or ArgumentException)
        {
            throw new ArchiveExtractionException(archivePath, null,
                $"'{archivePath}' is not a valid {(format == ArchiveFormat.Zip ? "zip" : format == ArchiveFormat.TarGzip ? "tar.gz" : "tar")} archive: {ex.Message}", ex);
        }
    }

    private static void ExtractTar(string archivePath, bool gzip, ExtractionTarget target, CancellationToken cancellationToken)
    {
        using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using Stream decompressed = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var content = new TarValidatingStream(decompressed, archivePath);
        using var reader = new TarReader(content);
        while (reader.GetNextEntry() is TarEntry entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    target.CreateDirectory(entry.Name);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    target.WriteFile(entry.Name, entry.DataStream);
                    break;
                case TarEntryType.SymbolicLink:
                    target.CreateSymbolicLink(entry.Name, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    target.CopyHardLink(entry.Name, entry.LinkName);
                    break;
                case TarEntryType.GlobalExtendedAttributes:
                    break; // metadata for later entries; TarReader applies what matters (long names)
                default:
                    throw target.Refuse(entry.Name, $"it is a {entry.EntryType} entry; only files, folders and links are extracted");
            }
        }
        // The reader stops at the end-of-archive marker; what follows (and the gzip trailer with its
        // CRC-32) must still be read, or a cut-short or corrupt archive would count as complete.
        content.Drain();
    }

    private static void ExtractZip(string archivePath, ExtractionTarget target, CancellationToken cancellationToken)
    {
        using ZipArchive zip = ZipFile.OpenRead(archivePath);
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            const int UnixFileTypeMask = 0xF000, UnixSymbolicLink = 0xA000;
            bool isSymbolicLink = ((entry.ExternalAttributes >> 16) & UnixFileTypeMask) == UnixSymbolicLink;
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
            {
                target.CreateDirectory(entry.FullName);
            }
            else if (isSymbolicLink)
            {
                // Zip stores a Unix link's target as the entry's content.
                using var reader = new StreamReader(entry.Open());
                target.CreateSymbolicLink(entry.FullName, reader.ReadToEnd());
            }
            else
            {
                using Stream data = entry.Open();
                target.WriteFile(entry.FullName, data);
            }
        }
    }

    private enum ArchiveFormat { Tar, TarGzip, Zip }

    private static ArchiveFormat DetectFormat(string archivePath)
    {
        byte[] head = new byte[512];
        int length;
        using (var file = File.OpenRead(archivePath))
            length = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        ReadOnlySpan<byte> bytes = head.AsSpan(0, length);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
            return ArchiveFormat.TarGzip;
        if (bytes.StartsWith("PK\u0003\u0004"u8) || bytes.StartsWith("PK\u0005\u0006"u8))
            return ArchiveFormat.Zip;
        if (bytes.Length >= 262 && bytes.Slice(257, 5).SequenceEqual("ustar"u8))
            return ArchiveFormat.Tar;
        string first = Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)]);
        throw new ArchiveExtractionException(archivePath, null,
            $"'{archivePath}' is not a tar, tar.gz/tgz or zip archive (its first bytes are {(first.Length == 0 ? "none: the file is empty" : first)}).");
    }
}
