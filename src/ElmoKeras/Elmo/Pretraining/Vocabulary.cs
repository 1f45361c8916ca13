using ElmoKeras.IO;
namespace ElmoKeras.Elmo.Pretraining;

/// <summary>
/// The output vocabulary of a language model, in bilm-tf's file format: one token per line,
/// <c>&lt;S&gt;</c>, <c>&lt;/S&gt;</c> and <c>&lt;UNK&gt;</c> first, then words by falling frequency.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The sentence start token.</summary>
    public const string BeginOfSentence = "<S>";
    /// <summary>The sentence end token.</summary>
    public const string EndOfSentence = "</S>";
    /// <summary>The token for words outside the vocabulary.</summary>
    public const string Unknown = "<UNK>";

    private readonly Dictionary<string, int> ids;

    private Vocabulary(IReadOnlyList<string> tokens)
    {
        Tokens = tokens;
        ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
            if (!ids.TryAdd(tokens[i], i)) throw new ArgumentException($"Vocabulary token '{tokens[i]}' appears twice (lines {ids[tokens[i]] + 1} and {i + 1}).");
        foreach (string special in new[] { BeginOfSentence, EndOfSentence, Unknown })
            if (!ids.ContainsKey(special)) throw new ArgumentException($"A vocabulary must contain {special}.");
    }

    /// <summary>The tokens by id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Tokens.Count;

    /// <summary>The id of <paramref name="token"/>, or that of <c>&lt;UNK&gt;</c>.</summary>
    public int IdOf(string token) => ids.TryGetValue(token, out int id) ? id : ids[Unknown];

    /// <summary>
    /// The <paramref name="maxSize"/> − 3 most frequent words of <paramref name="sentences"/> (ties by
    /// first appearance) after the three special tokens.
    /// </summary>
    public static Vocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int maxSize)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (maxSize < 4) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "A vocabulary needs room for <S>, </S>, <UNK> and at least one word.");
        var counts = new Dictionary<string, (int Count, int First)>(StringComparer.Ordinal);
        int position = 0;
        foreach (IReadOnlyList<string> sentence in sentences)
            foreach (string token in sentence)
                counts[token] = counts.TryGetValue(token, out var c) ? (c.Count + 1, c.First) : (1, position++);
        string[] specials = [BeginOfSentence, EndOfSentence, Unknown];
        var words = counts.Where(kv => !specials.Contains(kv.Key)).OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Value.First)
            .Take(maxSize - specials.Length).Select(kv => kv.Key);
        return new Vocabulary([.. specials, .. words]);
    }

    /// <summary>Reads a vocabulary file (UTF-8, one token per line).</summary>
    public static Vocabulary Load(string path) => new(File.ReadAllLines(path).Where(l => l.Length > 0).ToArray());

    /// <summary>Writes the vocabulary file.</summary>
    public void Save(string path) => AtomicFile.Write(path, temp => File.WriteAllLines(temp, Tokens));
}
