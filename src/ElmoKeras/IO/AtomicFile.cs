namespace ElmoKeras.IO;

/// <summary>
/// The one place where ElmoKeras writes a file or folder under a temporary name beside its target and
/// renames it only once complete, so a reader never sees half a file and a crash never destroys the
/// previous version. Downloads, extraction, weight files, checkpoints and <c>elmo embed</c> outputs
/// all go through it.
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix of the folder being filled by <see cref="ReplaceDirectory"/>.</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>Suffix of the previous folder while <see cref="ReplaceDirectory"/> swaps in the new one.</summary>
    public const string PreviousSuffix = ".old";

    /// <summary>
    /// Writes <paramref name="path"/> by calling <paramref name="writeTo"/> with a unique temporary
    /// path in the same folder, then renaming it; on failure the temporary file is removed and
    /// <paramref name="path"/> is untouched.
    /// </summary>
    /// <exception cref="IOException">With <paramref name="overwrite"/> false: <paramref name="path"/> appeared meanwhile.</exception>
    public static void Write(string path, Action<string> writeTo, bool overwrite = true)
    {
        ArgumentNullException.ThrowIfNull(writeTo);
        string full = Path.GetFullPath(path);
        Commit(UniqueTemporaryPath(full), full, overwrite, temp => { writeTo(temp); return Task.CompletedTask; }).GetAwaiter().GetResult();
    }

    /// <summary>The asynchronous form of <see cref="Write"/>.</summary>
    public static Task WriteAsync(string path, Func<string, Task> writeTo, bool overwrite = true)
    {
        ArgumentNullException.ThrowIfNull(writeTo);
        string full = Path.GetFullPath(path);
        return Commit(UniqueTemporaryPath(full), full, overwrite, writeTo);
    }

    /// <summary>
    /// As <see cref="WriteAsync"/>, with the fixed temporary name <paramref name="path"/> +
    /// <paramref name="suffix"/>, for callers that hold a lock on <paramref name="path"/>: a file a
    /// killed process left there is then known to be dead (<see cref="DeleteLeftover"/>).
    /// </summary>
    internal static Task WriteLockedAsync(string path, string suffix, Func<string, Task> writeTo)
    {
        string full = Path.GetFullPath(path);
        return Commit(full + suffix, full, overwrite: true, writeTo);
    }

    /// <summary>Removes the temporary file of <see cref="WriteLockedAsync"/> that a dead process left (the caller holds the lock).</summary>
    internal static void DeleteLeftover(string path, string suffix) => DeleteQuietly(Path.GetFullPath(path) + suffix);

    /// <summary>
    /// Replaces the folder <paramref name="path"/> by one that <paramref name="fill"/> writes into
    /// <paramref name="path"/>.partial. The old folder is moved to <paramref name="path"/>.old before the
    /// new one is moved in and deleted after, so a complete folder exists at every moment (see
    /// <see cref="CompleteDirectory"/>). The caller is the only writer (it holds a lock, or owns the folder).
    /// </summary>
    public static void ReplaceDirectory(string path, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        string partial = target + PartialSuffix, previous = target + PreviousSuffix;
        DeleteDirectory(partial);
        try
        {
            Directory.CreateDirectory(partial);
            fill(partial);
        }
        catch
        {
            DeleteDirectory(partial);
            throw;
        }
        DeleteDirectory(previous);
        if (Directory.Exists(target)) Directory.Move(target, previous);
        Directory.Move(partial, target);
        DeleteDirectory(previous);
    }

    /// <summary>
    /// The complete version of a folder written by <see cref="ReplaceDirectory"/>: <paramref name="path"/>
    /// itself when <paramref name="isComplete"/> holds for it, else the previous version left by a crash
    /// between the two renames, else null.
    /// </summary>
    public static string? CompleteDirectory(string path, Func<string, bool> isComplete)
    {
        ArgumentNullException.ThrowIfNull(isComplete);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Directory.Exists(target) && isComplete(target)) return target;
        string previous = target + PreviousSuffix;
        return Directory.Exists(previous) && isComplete(previous) ? previous : null;
    }

    private static async Task Commit(string temp, string full, bool overwrite, Func<string, Task> writeTo)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        try
        {
            await writeTo(temp).ConfigureAwait(false);
            File.Move(temp, full, overwrite);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    private static string UniqueTemporaryPath(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");

    private static void DeleteQuietly(string path)
    {
        try
        {
            // File.Delete removes a symbolic link, not what it points to.
            File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    // Directory.Delete removes symbolic links without following them.
    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }
}
