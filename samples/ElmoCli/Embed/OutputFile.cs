namespace ElmoCli.Embed;

/// <summary>Writes under a temporary name beside the target and renames when complete, so no partial file is ever seen.</summary>
internal static class OutputFile
{
    /// <summary>The temporary-name prefix of <paramref name="path"/>, to find what a killed run left.</summary>
    public static string TempPrefix(string path) => $".{Path.GetFileName(path)}.";

    public static void WriteAtomically(string path, Action<string> write, bool overwrite = true)
    {
        string output = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $"{TempPrefix(output)}{Guid.NewGuid():N}.tmp");
        try
        {
            write(temp);
            File.Move(temp, output, overwrite);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Deletes what a killed run writing <paramref name="path"/> left (one process per output is assumed).</summary>
    public static void DeleteStaleTemps(string path)
    {
        string output = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(output)!;
        if (!Directory.Exists(directory)) return;
        string prefix = TempPrefix(output);
        foreach (string stale in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
        {
            // Only this file's own temporaries (prefix + 32 hex digits + .tmp), not those of OUTPUT.shard-…
            string middle = Path.GetFileName(stale)[prefix.Length..^".tmp".Length];
            if (middle.Length == 32 && middle.All(char.IsAsciiHexDigit)) File.Delete(stale);
        }
    }
}
