using ElmoKeras.Elmo;

namespace ElmoKeras.ElmoLayer;

/// <summary>
/// Turns the text an ELMo layer receives into token lists, following TF Hub's two signatures.
/// </summary>
public static class ElmoInputs
{
    /// <summary>The padding token of the Keras ELMo recipes; <c>""</c> (TF Hub's padding) counts too.</summary>
    public const string PadToken = "--PAD--";

    /// <summary>Whether <paramref name="token"/> is padding.</summary>
    public static bool IsPadding(string? token) => token is null || token.Length == 0 || token == PadToken;

    /// <summary>
    /// TF Hub's <c>default</c> signature: each string is split on spaces (only ' ', empty pieces
    /// dropped, as the Hub module does), then cut to <paramref name="maxTokens"/> when given.
    /// </summary>
    public static string[][] FromSentences(IReadOnlyList<string> sentences, int? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var result = new string[sentences.Count][];
        for (int i = 0; i < sentences.Count; i++)
        {
            string sentence = sentences[i] ?? throw new ArgumentException($"Input string {i} is null; expected text (use \"\" for an empty review).", nameof(sentences));
            string[] tokens = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            result[i] = maxTokens is int cap && tokens.Length > cap ? tokens[..cap] : tokens;
        }
        return result;
    }

    /// <summary>
    /// TF Hub's <c>tokens</c> signature: rows of tokens padded at the end with <see cref="PadToken"/>
    /// or <c>""</c>. Returns each row's real tokens; padding must be trailing.
    /// </summary>
    /// <exception cref="ArgumentException">A real token follows padding; the message names row and position.</exception>
    public static string[][] FromTokens(IReadOnlyList<IReadOnlyList<string>> rows, int? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new string[rows.Count][];
        for (int i = 0; i < rows.Count; i++)
        {
            IReadOnlyList<string> row = rows[i] ?? throw new ArgumentException($"Token row {i} is null.", nameof(rows));
            int length = 0;
            while (length < row.Count && !IsPadding(row[length])) length++;
            for (int t = length; t < row.Count; t++)
                if (!IsPadding(row[t]))
                    throw new ArgumentException($"Token row {i} has the real token '{row[t]}' at position {t} after padding at position {length}; padding ('{PadToken}' or \"\") must come last.", nameof(rows));
            if (maxTokens is int cap) length = Math.Min(length, cap);
            result[i] = row.Take(length).ToArray();
        }
        return result;
    }
}
