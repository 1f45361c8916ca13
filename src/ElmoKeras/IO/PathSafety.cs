namespace ElmoKeras.IO;

/// <summary>
/// Decides whether names from archives or callers stay inside a folder. The rules are lexical and
/// deliberately strict: no absolute paths, no drive letters, no <c>..</c> segment anywhere. Banning
/// <c>..</c> outright (rather than allowing it when it resolves inside) is what keeps symbolic links
/// safe without resolving them on disk: a link made only of downward steps cannot lead out, whatever
/// other links an archive creates before or after it.
/// </summary>
internal static class PathSafety
{
    /// <summary>
    /// Splits <paramref name="name"/> into its folder steps, treating <c>\</c> as a separator too
    /// (archives made on Windows use it) and dropping empty and <c>.</c> steps.
    /// </summary>
    /// <returns><see langword="null"/> when the name is safe, otherwise why it is not.</returns>
    internal static string? TrySplit(string name, out string[] segments)
    {
        segments = [];
        if (string.IsNullOrEmpty(name))
            return "the name is empty";
        if (name.Contains('\0'))
            return "the name contains a NUL character";
        string normalized = name.Replace('\\', '/');
        if (normalized.StartsWith('/'))
            return "it is an absolute path";
        if (normalized.Length >= 2 && char.IsAsciiLetter(normalized[0]) && normalized[1] == ':')
            return "it starts with a drive letter";
        var kept = new List<string>();
        foreach (string segment in normalized.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
                continue;
            if (segment == "..")
                return "it contains a '..' step";
            kept.Add(segment);
        }
        segments = [.. kept];
        return null;
    }

    /// <summary>Whether <paramref name="path"/> is empty or a relative path with no <c>..</c> step.</summary>
    internal static bool IsPlainRelativePath(string path) =>
        path.Length == 0 || (TrySplit(path, out _) is null && !Path.IsPathRooted(path));

    /// <summary>Whether <paramref name="path"/> (full) is <paramref name="root"/> (full) or below it.</summary>
    internal static bool IsInside(string root, string path)
    {
        string rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return string.Equals(path, root, PathComparison) || path.StartsWith(rootWithSeparator, PathComparison);
    }

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
}
