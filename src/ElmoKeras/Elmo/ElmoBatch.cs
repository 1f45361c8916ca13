using static TorchSharp.torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// A batch of tokenised sentences prepared on the host: each distinct token's character ids once,
/// and per position an index into them, with the sentence boundary tokens added. Building this on
/// the host lets the character CNN run once per distinct token instead of once per position.
/// </summary>
internal sealed class ElmoBatch
{
    private const int BeginIndex = 0;
    private const int EndIndex = 1;

    private ElmoBatch(int[] lengths, int maxLength, long[] characterIds, string[] uniqueTokens, int maxCharacters, long[] tokenIndex, bool boundaries)
    {
        UniqueTokens = uniqueTokens;
        Boundaries = boundaries;
        Lengths = lengths;
        MaxLength = maxLength;
        CharacterIds = characterIds;
        MaxCharacters = maxCharacters;
        TokenIndex = tokenIndex;
    }

    /// <summary>Tokens per sentence, boundaries excluded.</summary>
    public int[] Lengths { get; }
    /// <summary>Whether BOS and EOS surround every sentence (bilm-tf's and AllenNLP's behaviour).</summary>
    public bool Boundaries { get; }

    /// <summary>Positions added around each sentence: 2 with boundaries, else 0.</summary>
    public int Extra => Boundaries ? 2 : 0;

    /// <summary>Where the first token sits: 1 after BOS, else 0.</summary>
    public int FirstToken => Boundaries ? 1 : 0;

    /// <summary>The longest sentence's token count (T); positions are T + <see cref="Extra"/>.</summary>
    public int MaxLength { get; }
    public int BatchSize => Lengths.Length;
    public long[] CharacterIds { get; }
    /// <summary>The distinct tokens, in the row order of <see cref="CharacterIds"/> (rows 0 and 1: the boundary tokens).</summary>
    public string[] UniqueTokens { get; }
    public int UniqueCount => UniqueTokens.Length;
    public int MaxCharacters { get; }
    public long[] TokenIndex { get; }

    /// <summary>Prepares <paramref name="sentences"/>, cutting each to <paramref name="maxTokens"/> when given.</summary>
    public static ElmoBatch Create(IReadOnlyList<IReadOnlyList<string>> sentences, int maxCharacters, int? maxTokens = null, bool boundaries = true)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        int batch = sentences.Count;
        var lengths = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            IReadOnlyList<string> sentence = sentences[i] ?? throw new ArgumentException($"Sentence {i} is null.", nameof(sentences));
            lengths[i] = maxTokens is int cap ? Math.Min(cap, sentence.Count) : sentence.Count;
        }
        int maxLength = batch == 0 ? 0 : lengths.Max();
        int extra = boundaries ? 2 : 0, first = boundaries ? 1 : 0;
        int width = maxLength + extra;

        var unique = new Dictionary<string, int>(StringComparer.Ordinal);
        var characterIds = new List<long>(capacity: (2 + batch * 8) * maxCharacters);
        var ids = new long[maxCharacters];
        ElmoCharacters.EncodeBeginOfSentence(ids); characterIds.AddRange(ids);
        ElmoCharacters.EncodeEndOfSentence(ids); characterIds.AddRange(ids);
        // The literal boundary tokens share the boundary rows, as in bilm-tf and AllenNLP.
        unique[ElmoCharacters.BeginOfSentenceToken] = BeginIndex;
        unique[ElmoCharacters.EndOfSentenceToken] = EndIndex;

        var tokenIndex = new long[batch * width];
        for (int i = 0; i < batch; i++)
        {
            int row = i * width;
            if (boundaries) tokenIndex[row] = BeginIndex;
            IReadOnlyList<string> sentence = sentences[i];
            for (int t = 0; t < lengths[i]; t++)
            {
                string token = sentence[t] ?? throw new ArgumentException($"Sentence {i} has a null token at position {t}.", nameof(sentences));
                if (!unique.TryGetValue(token, out int index))
                {
                    index = unique.Count;
                    unique[token] = index;
                    ElmoCharacters.Encode(token, ids);
                    characterIds.AddRange(ids);
                }
                tokenIndex[row + first + t] = index;
            }
            if (boundaries) tokenIndex[row + 1 + lengths[i]] = EndIndex;
            // Padding points at row 0; the mask zeroes whatever it picks up.
        }
        string[] uniqueTokens = new string[unique.Count];
        foreach (var (token, row) in unique) uniqueTokens[row] = token;
        return new ElmoBatch(lengths, maxLength, characterIds.ToArray(), uniqueTokens, maxCharacters, tokenIndex, boundaries);
    }

    /// <summary>
    /// Copies the batch to <paramref name="device"/> as tensors, rows sorted by length (longest
    /// first) and time-major, the layout the LSTMs run in.
    /// </summary>
    public ElmoBatchTensors ToTensors(Device device)
    {
        int batch = BatchSize, width = MaxLength + Extra;
        // Stable sort: equal lengths keep their order, so results do not depend on sort details.
        int[] order = Enumerable.Range(0, batch).OrderByDescending(i => Lengths[i]).ToArray();
        var restore = new long[batch];
        var steps = new int[batch];
        var tokenIndex = new long[width * batch];
        var reverse = new long[width * batch];
        for (int p = 0; p < batch; p++)
        {
            int row = order[p];
            restore[row] = p;
            int length = Lengths[row] + Extra;
            steps[p] = length;
            for (int t = 0; t < width; t++)
            {
                tokenIndex[t * batch + p] = TokenIndex[row * width + t];
                reverse[t * batch + p] = t < length ? length - 1 - t : t;
            }
        }
        var tokenMask = new bool[batch * MaxLength];
        for (int i = 0; i < batch; i++)
            for (int t = 0; t < Lengths[i]; t++) tokenMask[i * MaxLength + t] = true;
        return new ElmoBatchTensors(
            tensor(CharacterIds, [UniqueCount, MaxCharacters]).to(device),
            tensor(tokenIndex, [width, batch]).to(device),
            tensor(reverse, [width, batch]).to(device),
            tensor(tokenMask, [batch, MaxLength]).to(device),
            tensor(order.Select(i => (long)i).ToArray()).to(device),
            tensor(restore).to(device),
            steps);
    }
}

/// <summary>An <see cref="ElmoBatch"/> on a device, rows sorted by length (longest first).</summary>
/// <param name="CharacterIds">[U, max_characters] ids of the distinct tokens (rows 0 and 1: BOS, EOS).</param>
/// <param name="TokenIndex">[T+2, B] time-major, sorted rows: the row of <paramref name="CharacterIds"/> at each position.</param>
/// <param name="ReverseIndex">[T+2, B] the step each position reads when a row is reversed within its length.</param>
/// <param name="TokenMask">[B, T] in the caller's row order: true on real tokens, boundaries excluded.</param>
/// <param name="Order">[B] sorted position → caller's row.</param>
/// <param name="Restore">[B] caller's row → sorted position.</param>
/// <param name="Steps">Steps per sorted row, boundaries included; non-increasing.</param>
internal sealed record ElmoBatchTensors(Tensor CharacterIds, Tensor TokenIndex, Tensor ReverseIndex, Tensor TokenMask, Tensor Order, Tensor Restore, int[] Steps) : IDisposable
{
    public void Dispose()
    {
        CharacterIds.Dispose();
        TokenIndex.Dispose();
        ReverseIndex.Dispose();
        TokenMask.Dispose();
        Order.Dispose();
        Restore.Dispose();
    }
}
