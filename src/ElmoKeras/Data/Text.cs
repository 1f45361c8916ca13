using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Analysis;

namespace ElmoKeras.Data;

/// <summary>Text clean-up helpers for preparing model inputs.</summary>
public static partial class Text
{
    /// <summary>
    /// The first <paramref name="count"/> whitespace-separated words of <paramref name="text"/> joined by
    /// single spaces: Python's <c>' '.join(text.split()[:count])</c>. Runs of any Unicode whitespace
    /// separate words; leading and trailing whitespace is dropped.
    /// </summary>
    /// <param name="text">The text to cut.</param>
    /// <param name="count">How many words to keep; 0 gives an empty string.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static string FirstWords(string text, int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new StringBuilder((int)Math.Min(text.Length, 16L * count));
        int words = 0, i = 0;
        while (words < count)
        {
            while (i < text.Length && IsPythonWhiteSpace(text[i]))
                i++;
            if (i == text.Length)
                break;
            int start = i;
            while (i < text.Length && !IsPythonWhiteSpace(text[i]))
                i++;
            if (words > 0)
                result.Append(' ');
            result.Append(text, start, i - start);
            words++;
        }
        return result.ToString();
    }

    /// <summary>Applies <see cref="FirstWords(string, int)"/> to each text.</summary>
    /// <param name="texts">The texts to cut.</param>
    /// <param name="count">How many words to keep of each.</param>
    /// <exception cref="ArgumentException">A text is <see langword="null"/>.</exception>
    public static string[] FirstWords(IEnumerable<string> texts, int count)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return texts.Select((text, index) => text is null
            ? throw new ArgumentException($"Text {index} is null.", nameof(texts))
            : FirstWords(text, count)).ToArray();
    }

    /// <summary>
    /// Applies <see cref="FirstWords(string, int)"/> to each row of a string column, by default the
    /// <c>sentence</c> column that the <see cref="Imdb"/> loaders produce.
    /// </summary>
    /// <param name="frame">The data frame.</param>
    /// <param name="count">How many words to keep of each row.</param>
    /// <param name="columnName">The string column to read.</param>
    /// <exception cref="ArgumentException">The column is missing, is not a string column, or has a missing value.</exception>
    public static string[] FirstWords(DataFrame frame, int count, string columnName = Imdb.SentenceColumn)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        string[] texts = frame.ToStringArray(columnName);
        return Array.ConvertAll(texts, text => FirstWords(text, count));
    }

    /// <summary>
    /// Replaces each HTML line break (<c>&lt;br /&gt;</c>, <c>&lt;br/&gt;</c>, <c>&lt;br&gt;</c>, any case,
    /// any spacing) with one space. IMDB reviews use them for paragraphs, and left in they become
    /// words such as <c>/&gt;&lt;br</c>. No other markup is touched.
    /// </summary>
    /// <param name="text">The text to clean.</param>
    public static string RemoveLineBreakTags(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Contains('<') ? LineBreakTag().Replace(text, " ") : text;
    }

    // Python's str.split() also splits on the ASCII separators U+001C..U+001F, which char.IsWhiteSpace does not count.
    internal static bool IsPythonWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    [GeneratedRegex(@"<\s*br\s*/?\s*>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LineBreakTag();
}
