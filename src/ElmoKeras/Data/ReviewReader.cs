using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Unicode;

namespace ElmoKeras.Data;

/// <summary>
/// Reads a folder of <c>&lt;id&gt;_&lt;rating&gt;.txt</c> review files in parallel, sorted by id so the
/// result does not depend on the file system's listing order.
/// </summary>
internal static class ReviewReader
{
    internal sealed record Reviews(int[] Ids, int[] Ratings, string[] Texts);

    private enum Problem { BadName, InvalidUtf8, Empty }

    private readonly record struct Malformed(string Path, Problem Kind, string Message);

    internal static Reviews Read(string directory, ImdbOptions options)
    {
        string folder = Path.GetFullPath(directory);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Review folder '{folder}' does not exist.");
        var clock = Stopwatch.StartNew();

        var files = new List<(int Id, int Rating, string Path)>();
        var malformed = new List<Malformed>();
        foreach (string path in Directory.EnumerateFiles(folder))
        {
            string name = Path.GetFileName(path);
            if (name.StartsWith('.'))
                continue; // hidden files (.DS_Store and the like) are not reviews
            if (TryParseName(name, out int id, out int rating))
                files.Add((id, rating, path));
            else
                malformed.Add(new(path, Problem.BadName, $"'{path}' is not named <id>_<rating>.txt (digits, '_', digits, '.txt'), so its rating is unknown."));
        }
        files.Sort((a, b) => a.Id != b.Id ? a.Id.CompareTo(b.Id) : string.CompareOrdinal(a.Path, b.Path));
        if (options.MalformedFiles == MalformedFileHandling.Throw && malformed.Count > 0)
            throw Fail(folder, malformed);

        var texts = new string?[files.Count];
        var problems = new Malformed?[files.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? Math.Max(4, Environment.ProcessorCount) };
        try
        {
            Parallel.For(0, files.Count, parallel, i =>
            {
                string path = files[i].Path;
                string? text = Decode(path, File.ReadAllBytes(path), out Malformed? problem);
                if (text is not null && options.RemoveLineBreakTags)
                    text = Text.RemoveLineBreakTags(text);
                texts[i] = text;
                problems[i] = problem;
            });
        }
        catch (AggregateException ex)
        {
            // Surface the read error itself (its message names the file), not the parallel loop's wrapper.
            ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }

        for (int i = 0; i < problems.Length; i++)
        {
            if (problems[i] is Malformed problem)
                malformed.Add(problem);
        }
        if (malformed.Count > 0)
        {
            if (options.MalformedFiles == MalformedFileHandling.Throw)
                throw Fail(folder, malformed);
            foreach (Malformed skipped in malformed)
                DataLog.SkippedReviewFile(options.Logger, skipped.Path, skipped.Message);
            DataLog.SkippedReviewFiles(options.Logger, folder, malformed.Count, files.Count + malformed.Count(m => m.Kind == Problem.BadName),
                malformed.Count(m => m.Kind == Problem.BadName), malformed.Count(m => m.Kind == Problem.InvalidUtf8), malformed.Count(m => m.Kind == Problem.Empty));
        }

        int kept = texts.Count(t => t is not null);
        var ids = new int[kept];
        var ratings = new int[kept];
        var result = new string[kept];
        for (int i = 0, k = 0; i < files.Count; i++)
        {
            if (texts[i] is not string text)
                continue;
            ids[k] = files[i].Id;
            ratings[k] = files[i].Rating;
            result[k++] = text;
        }
        DataLog.ReadReviews(options.Logger, kept, folder, clock.Elapsed.TotalMilliseconds);
        return new Reviews(ids, ratings, result);
    }

    /// <summary>Parses <c>&lt;id&gt;_&lt;rating&gt;.txt</c> with ASCII digits only (the seed's <c>\d+_(\d+)\.txt</c>, anchored at both ends).</summary>
    internal static bool TryParseName(string name, out int id, out int rating)
    {
        id = rating = 0;
        if (!name.EndsWith(".txt", StringComparison.Ordinal))
            return false;
        ReadOnlySpan<char> stem = name.AsSpan(0, name.Length - 4);
        int underscore = stem.IndexOf('_');
        if (underscore < 0)
            return false;
        ReadOnlySpan<char> idText = stem[..underscore], ratingText = stem[(underscore + 1)..];
        return IsDigits(idText) && IsDigits(ratingText)
            && int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out id)
            && int.TryParse(ratingText, NumberStyles.None, CultureInfo.InvariantCulture, out rating);
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');

    private static string? Decode(string path, byte[] bytes, out Malformed? problem)
    {
        problem = null;
        ReadOnlySpan<byte> content = bytes.AsSpan();
        if (content.StartsWith("\uFEFF"u8))
            content = content[3..];
        if (!Utf8.IsValid(content))
        {
            int offset = FirstInvalidUtf8Offset(content) + (bytes.Length - content.Length);
            problem = new(path, Problem.InvalidUtf8, $"'{path}' is not valid UTF-8: byte 0x{bytes[offset]:X2} at offset {offset} does not fit.");
            return null;
        }
        string text = Encoding.UTF8.GetString(content);
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = new(path, Problem.Empty, $"'{path}' holds no review text (it is empty or only whitespace).");
            return null;
        }
        return text;
    }

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> content)
    {
        int offset = 0;
        while (offset < content.Length)
        {
            if (Rune.DecodeFromUtf8(content[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return content.Length - 1;
    }

    private static DatasetFormatException Fail(string folder, List<Malformed> malformed)
    {
        malformed.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        Malformed first = malformed[0];
        string more = malformed.Count == 1 ? "" : $" {malformed.Count - 1} more files in '{folder}' are malformed too.";
        return new DatasetFormatException(first.Path,
            $"{first.Message}{more} Fix or remove them, or set {nameof(ImdbOptions)}.{nameof(ImdbOptions.MalformedFiles)} to {nameof(MalformedFileHandling.Skip)} to leave them out (they are counted and logged).");
    }
}
