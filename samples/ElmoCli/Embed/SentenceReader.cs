using System.Security.Cryptography;
using System.Text;

namespace ElmoCli.Embed;

/// <summary>
/// Reads the input lazily, one line at a time, so memory does not grow with the file. Every line is
/// checked (UTF-8, not empty) with its line number in the error.
/// </summary>
internal static class SentenceReader
{
    /// <summary>Counts and checks every line and hashes the file, holding one line at a time.</summary>
    public static InputScan Scan(string path)
    {
        RequireFile(path);
        string sha;
        using (var stream = File.OpenRead(path)) sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        long lines = 0;
        foreach (Sentence _ in Read(path)) lines++;
        if (lines == 0) throw new FormatException($"{path}: the file holds no sentences.");
        return new InputScan(lines, sha);
    }

    /// <summary>The sentences with index in <c>[start, end)</c>, read lazily.</summary>
    public static IEnumerable<Sentence> Read(string path, long start = 0, long end = long.MaxValue)
    {
        RequireFile(path);
        long number = 0;
        foreach (string line in Lines(path))
        {
            if (number >= end) yield break;
            number++;
            if (number - 1 < start) continue;
            string trimmed = line.Trim();
            if (trimmed.Length == 0)
                throw new FormatException($"{path}:{number}: empty line. Every line must hold one sentence; remove empty lines.");
            yield return new Sentence(number - 1, trimmed, trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }
    }

    /// <summary>
    /// The file's lines, each decoded on its own: a StreamReader decodes whole buffers, so its
    /// errors would name the line where the buffer started, not the line holding the bad byte.
    /// </summary>
    private static IEnumerable<string> Lines(string path)
    {
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        long number = 0;
        bool first = true;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            int offset = 0;
            if (first)
            {
                first = false;
                if (read >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF) offset = 3;
            }
            while (offset < read)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', offset, read - offset);
                int stop = newline < 0 ? read : newline;
                line.Write(buffer, offset, stop - offset);
                offset = stop;
                if (newline < 0) break;
                offset++;
                yield return Decode(strict, line, path, ++number);
                line.SetLength(0);
            }
        }
        if (line.Length > 0) yield return Decode(strict, line, path, ++number);
    }

    private static string Decode(UTF8Encoding strict, MemoryStream line, string path, long number)
    {
        try
        {
            return strict.GetString(line.GetBuffer(), 0, (int)line.Length);
        }
        catch (DecoderFallbackException ex)
        {
            string at = ex.Index >= 0 ? $" at byte {ex.Index + 1} of the line" : "";
            throw new FormatException($"{path}:{number}: not valid UTF-8{at} (bytes {Convert.ToHexString(ex.BytesUnknown ?? [])}).", ex);
        }
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file '{path}' does not exist. Expected UTF-8 text with one whitespace-tokenised sentence per line.", path);
    }
}
