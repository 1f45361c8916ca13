using ElmoKeras.EmbeddingFiles;
using ElmoKeras.Weights;
using ElmoKeras.IO;

namespace ElmoCli.Embed;

/// <summary>Writes under a temporary name beside the target and renames when complete, so no partial file is ever seen.</summary>
internal static class OutputFile
{
    /// <summary>The temporary-name prefix of <paramref name="path"/>, to find what a killed run left.</summary>
    public static string TempPrefix(string path) => $".{Path.GetFileName(path)}.";

    public static void WriteAtomically(string path, Action<string> write, bool overwrite = true) => AtomicFile.Write(path, write, overwrite);

    /// <summary>
    /// The identity recorded in an existing flat embedding file at <paramref name="path"/>; anything
    /// else there is an error that says it is not overwritten and what to do (<paramref name="remedy"/>).
    /// </summary>
    public static EmbeddingMetadata ExistingMetadata(string path, string remedy)
    {
        EmbeddingMetadata? existing;
        try
        {
            using EmbeddingFile file = EmbeddingFile.OpenSingle(path);
            existing = file.Metadata;
        }
        catch (EmbeddingFileException ex)
        {
            throw new IOException($"{path} exists and is not a complete embedding file ({ex.Message}); it is not overwritten: {remedy}.", ex);
        }
        return existing ?? throw new IOException($"{path} exists in the one-dataset-per-line layout; it is not overwritten: {remedy}.");
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
