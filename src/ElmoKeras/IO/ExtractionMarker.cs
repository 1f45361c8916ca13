using System.Globalization;

namespace ElmoKeras.IO;

/// <summary>
/// The file that marks a finished extraction and records which archive it came from (by length and
/// last-write time, which is cheap and changes whenever the archive is downloaded again). It is
/// written inside the temporary folder before that folder is renamed into place, so the target never
/// exists without it.
/// </summary>
internal static class ExtractionMarker
{
    internal const string FileName = ".elmokeras-extracted";

    internal static string Describe(FileInfo archive) =>
        string.Create(CultureInfo.InvariantCulture,
            $"archive-length: {archive.Length}\narchive-last-write-utc-ticks: {archive.LastWriteTimeUtc.Ticks}\n");

    internal static void Write(string directory, FileInfo archive) =>
        File.WriteAllText(Path.Combine(directory, FileName), Describe(archive));

    internal static bool Exists(string directory) => File.Exists(Path.Combine(directory, FileName));

    internal static bool Matches(string directory, FileInfo archive)
    {
        string path = Path.Combine(directory, FileName);
        try
        {
            return File.Exists(path) && File.ReadAllText(path) == Describe(archive);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
