namespace ElmoKeras.Weights;

/// <summary>Writes a file under a temporary name in the same folder and renames it when complete.</summary>
internal static class AtomicFile
{
    /// <exception cref="IOException">With <paramref name="overwrite"/> false: <paramref name="path"/> appeared meanwhile.</exception>
    public static void Write(string path, Action<string> writeTo, bool overwrite = true)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            writeTo(temp);
            File.Move(temp, full, overwrite);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
