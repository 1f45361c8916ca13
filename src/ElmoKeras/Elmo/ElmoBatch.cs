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

    private ElmoBatch(int[] lengths, int maxLength, long[] characterIds, int uniqueCount, int maxCharacters, long[] tokenIndex)
    {
        Lengths = lengths;
        MaxLength = maxLength;
        CharacterIds = characterIds;
        UniqueCount = uniqueCount;
        MaxCharacters = maxCharacters;
        TokenIndex = tokenIndex;
    }

    /// <summary>Tokens per sentence, boundaries excluded.</summary>
    public int[] Lengths { get; }
    /// <summary>The longest sentence's token count (T); positions with boundaries are T + 2.</summary>
    public int MaxLength { get; }
    public int BatchSize => Lengths.Length;
    public long[] CharacterIds { get; }
    public int UniqueCount { get; }
    public int MaxCharacters { get; }
    public long[] TokenIndex { get; }

    /// <summary>Prepares <paramref name="sentences"/>, cutting each to <paramref name="maxTokens"/> when given.</summary>
    public static ElmoBatch Create(IReadOnlyList<IReadOnlyList<string>> sentences, int maxCharacters, int? maxTokens = null)
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
        int width = maxLength + 2;

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
            tokenIndex[row] = BeginIndex;
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
                tokenIndex[row + 1 + t] = index;
            }
            tokenIndex[row + 1 + lengths[i]] = EndIndex;
            // Padding points at row 0; the mask zeroes whatever it picks up.
        }
        return new ElmoBatch(lengths, maxLength, characterIds.ToArray(), characterIds.Count / maxCharacters, maxCharacters, tokenIndex);
    }

    /// <summary>Copies the batch to <paramref name="device"/> as tensors.</summary>
    public ElmoBatchTensors ToTensors(Device device)
    {
        int batch = BatchSize, width = MaxLength + 2;
        var mask = new bool[batch * width];
        var reverse = new long[batch * width];
        var tokenMask = new bool[batch * MaxLength];
        for (int i = 0; i < batch; i++)
        {
            int length = Lengths[i] + 2;
            for (int t = 0; t < width; t++)
            {
                mask[i * width + t] = t < length;
                reverse[i * width + t] = t < length ? length - 1 - t : t;
            }
            for (int t = 0; t < Lengths[i]; t++) tokenMask[i * MaxLength + t] = true;
        }
        return new ElmoBatchTensors(
            tensor(CharacterIds, [UniqueCount, MaxCharacters]).to(device),
            tensor(TokenIndex, [batch, width]).to(device),
            tensor(mask, [batch, width]).to(device),
            tensor(reverse, [batch, width]).to(device),
            tensor(tokenMask, [batch, MaxLength]).to(device));
    }
}

/// <summary>An <see cref="ElmoBatch"/> on a device.</summary>
/// <param name="CharacterIds">[U, max_characters] ids of the distinct tokens (rows 0 and 1: BOS, EOS).</param>
/// <param name="TokenIndex">[B, T+2] row of <paramref name="CharacterIds"/> for each position.</param>
/// <param name="Mask">[B, T+2] true on real positions, boundaries included.</param>
/// <param name="ReverseIndex">[B, T+2] the position each step reads when a row is reversed within its length.</param>
/// <param name="TokenMask">[B, T] true on real tokens, boundaries excluded.</param>
internal sealed record ElmoBatchTensors(Tensor CharacterIds, Tensor TokenIndex, Tensor Mask, Tensor ReverseIndex, Tensor TokenMask) : IDisposable
{
    public void Dispose()
    {
        CharacterIds.Dispose();
        TokenIndex.Dispose();
        Mask.Dispose();
        ReverseIndex.Dispose();
        TokenMask.Dispose();
    }
}
