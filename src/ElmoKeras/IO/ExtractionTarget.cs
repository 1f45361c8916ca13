namespace ElmoKeras.IO;

/// <summary>
/// Writes archive entries under one root folder and refuses any entry that could land outside it.
/// Every name goes through <see cref="PathSafety.TrySplit"/>; symbolic link targets must be relative
/// and made only of downward steps; hard links become copies of an earlier entry.
/// </summary>
internal sealed class ExtractionTarget(string archivePath, string root)
{
    private const int CopyBufferSize = 1 << 16;

    internal int FileCount { get; private set; }

    internal void CreateDirectory(string entryName)
    {
        string path = Resolve(entryName, allowRoot: true);
        Run(entryName, () => Directory.CreateDirectory(path));
    }

    internal void WriteFile(string entryName, Stream? content)
    {
        string path = Resolve(entryName, allowRoot: false);
        Run(entryName, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // bufferSize 0: CopyTo already writes in large blocks, a second buffer would only copy twice.
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            content?.CopyTo(file, CopyBufferSize);
        });
        FileCount++;
    }

    internal void CreateSymbolicLink(string entryName, string linkTarget)
    {
        string path = Resolve(entryName, allowRoot: false);
        string? problem = PathSafety.TrySplit(linkTarget, out string[] steps);
        if (problem is not null)
            throw Refuse(entryName, $"it is a symbolic link to '{linkTarget}' and {problem}; links must point inside the archive with a relative path of downward steps only");
        string relativeTarget = steps.Length == 0 ? "." : string.Join(Path.DirectorySeparatorChar, steps);
        Run(entryName, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            DeleteExisting(path);
            File.CreateSymbolicLink(path, relativeTarget);
        });
    }

    internal void CopyHardLink(string entryName, string linkTarget)
    {
        string path = Resolve(entryName, allowRoot: false);
        string? problem = PathSafety.TrySplit(linkTarget, out string[] steps);
        if (problem is not null || steps.Length == 0)
            throw Refuse(entryName, $"it is a hard link to '{linkTarget}' and {problem ?? "the target is empty"}; hard links must name an earlier entry of the archive");
        string source = Path.Combine([root, .. steps]);
        if (!File.Exists(source))
            throw Refuse(entryName, $"it is a hard link to '{linkTarget}', which is not a file extracted earlier from the archive");
        Run(entryName, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            DeleteExisting(path);
            File.Copy(source, path);
        });
        FileCount++;
    }

    internal ArchiveExtractionException Refuse(string entryName, string reason) =>
        new(archivePath, entryName, $"Refusing to extract entry '{entryName}' of '{archivePath}': {reason}. Nothing was extracted.");

    private string Resolve(string entryName, bool allowRoot)
    {
        string? problem = PathSafety.TrySplit(entryName, out string[] steps);
        if (problem is not null)
            throw Refuse(entryName, $"{problem}, which could write outside the target folder");
        if (steps.Length == 0 && !allowRoot)
            throw Refuse(entryName, "it names the target folder itself rather than a file in it");
        string path = Path.GetFullPath(Path.Combine([root, .. steps]));
        // Cannot fail after TrySplit; kept so a future change to the splitting rules cannot open a hole.
        if (!PathSafety.IsInside(root, path))
            throw Refuse(entryName, $"it resolves to '{path}', outside the target folder");
        return path;
    }

    private static void DeleteExisting(string path)
    {
        if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
            Directory.Delete(path, recursive: true);
        else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            File.Delete(path);
    }

    private void Run(string entryName, Action write)
    {
        try
        {
            write();
        }
        catch (IOException ex) when (DiskErrors.IsDiskFull(ex))
        {
            throw new ArchiveExtractionException(archivePath, entryName,
                $"Ran out of disk space extracting '{archivePath}' into '{root}' (at entry '{entryName}'). Free space or extract elsewhere.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArchiveExtractionException(archivePath, entryName,
                $"Could not write entry '{entryName}' of '{archivePath}' into '{root}': {ex.Message}", ex);
        }
    }
}
