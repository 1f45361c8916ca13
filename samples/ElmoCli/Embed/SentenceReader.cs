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
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        using var reader = new StreamReader(path, strict, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        long number = 0;
        while (number < end)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException ex)
            {
                throw new FormatException($"{path}:{number + 1}: not valid UTF-8 ({ex.Message}).", ex);
            }
            if (line is null) yield break;
            number++;
            if (number - 1 < start) continue;
            string trimmed = line.Trim();
            if (trimmed.Length == 0)
                throw new FormatException($"{path}:{number}: empty line. Every line must hold one sentence; remove empty lines.");
            yield return new Sentence(number - 1, trimmed, trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file '{path}' does not exist. Expected UTF-8 text with one whitespace-tokenised sentence per line.", path);
    }
}
