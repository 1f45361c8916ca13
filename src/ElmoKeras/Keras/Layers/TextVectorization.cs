using ElmoKeras.ElmoLayer;
using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>
/// Turns text into integer token ids, as Keras's <c>TextVectorization(output_mode="int")</c>: id 0
/// is padding, 1 is out-of-vocabulary (<c>[UNK]</c>), then the vocabulary by falling frequency.
/// Text is split exactly as <see cref="ElmoEmbeddingLayer"/> splits it (on spaces; token rows
/// padded with <c>--PAD--</c>), and <see cref="MaxLength"/> cuts it as ELMo's <c>maxTokens</c> does,
/// so its steps line up with ELMo's token for token. That is the ELMo paper's task input:
/// <code>
/// var words = new Embedding(vectorizer.VocabularySize, 100, maskZero: true).Apply(vectorizer.Apply(input));
/// var tokens = new Concatenate().Apply(elmo.Apply(input), words);   // [batch, steps, 1024 + 100]
/// </code>
/// Fill the vocabulary with <see cref="Adapt"/> (or <see cref="SetVocabulary"/>) before the first call.
/// </summary>
public sealed class TextVectorization : Layer
{
    /// <summary>The padding token, id 0.</summary>
    public const string PaddingToken = "";

    /// <summary>The out-of-vocabulary token, id 1.</summary>
    public const string OutOfVocabularyToken = "[UNK]";

    private Dictionary<string, long>? ids;
    private string[] vocabulary = [];

    /// <param name="maxTokens">Largest vocabulary, padding and <c>[UNK]</c> included (Keras's <c>max_tokens</c>); null for every token seen.</param>
    /// <param name="maxLength">Keep at most this many tokens per example (as <see cref="ElmoEmbeddingLayer"/>'s <c>maxTokens</c>); rows are padded to the batch's longest only.</param>
    /// <param name="lowercase">Look tokens up lower-cased (ELMo itself sees the original case).</param>
    /// <param name="name">Layer name.</param>
    public TextVectorization(int? maxTokens = null, int? maxLength = null, bool lowercase = false, string? name = null) : base(name)
    {
        if (maxTokens is < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "maxTokens counts padding and [UNK] too, so it must be at least 3.");
        if (maxLength is <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be positive.");
        MaxTokens = maxTokens;
        MaxLength = maxLength;
        Lowercase = lowercase;
    }

    /// <summary>Largest vocabulary including padding and <c>[UNK]</c>, or null.</summary>
    public int? MaxTokens { get; }

    /// <summary>Tokens kept per example, or null for all.</summary>
    public int? MaxLength { get; }

    /// <summary>Whether tokens are looked up lower-cased.</summary>
    public bool Lowercase { get; }

    /// <summary>Every token by id: padding, <c>[UNK]</c>, then the vocabulary (Keras's <c>get_vocabulary()</c>).</summary>
    public IReadOnlyList<string> Vocabulary => vocabulary;

    /// <summary>Ids in use, padding and <c>[UNK]</c> included: the <see cref="Embedding"/>'s <c>inputDim</c>.</summary>
    public int VocabularySize => vocabulary.Length;

    /// <inheritdoc/>
    protected override bool AcceptsText => true;

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs =>
        [new InputSpec { DType = DType.String, MinRank = 1, MaxRank = 2, Layout = "strings [batch] or [batch, 1], or token rows [batch, steps]" }];

    /// <summary>
    /// Builds the vocabulary from <paramref name="texts"/>: the most frequent tokens (ties in ordinal
    /// order), at most <see cref="MaxTokens"/> ids in all. Replaces any earlier vocabulary.
    /// </summary>
    public void Adapt(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int index = 0;
        foreach (string text in texts)
        {
            if (text is null) throw new ArgumentException($"Text {index} is null; expected a string (\"\" for an empty one).", nameof(texts));
            foreach (string token in ElmoInputs.FromSentences([text], MaxLength)[0])
            {
                string key = Key(token);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
            index++;
        }
        IEnumerable<string> ranked = counts.Where(kv => kv.Key != OutOfVocabularyToken)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        SetVocabulary(MaxTokens is int max ? ranked.Take(max - 2) : ranked);
    }

    /// <summary>Sets the vocabulary (without padding and <c>[UNK]</c>, which take ids 0 and 1), e.g. one saved from <see cref="Vocabulary"/>.</summary>
    /// <exception cref="ArgumentException">A token is empty, repeated or <c>[UNK]</c>, or there are more than <see cref="MaxTokens"/> − 2.</exception>
    public void SetVocabulary(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        string[] list = tokens.Select(t => Key(t ?? "")).ToArray();
        if (list.Length > 0 && list[0] == PaddingToken && list.Length > 1 && list[1] == OutOfVocabularyToken) list = list[2..];   // a saved Vocabulary
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i].Length == 0 || list[i] == OutOfVocabularyToken)
                throw new ArgumentException($"Vocabulary entry {i} is {(list[i].Length == 0 ? "empty" : OutOfVocabularyToken)}; padding and {OutOfVocabularyToken} are added by the layer.", nameof(tokens));
            if (!map.TryAdd(list[i], i + 2)) throw new ArgumentException($"Vocabulary entry {i} ('{list[i]}') repeats entry {map[list[i]] - 2}.", nameof(tokens));
        }
        if (MaxTokens is int max && list.Length > max - 2)
            throw new ArgumentException($"The vocabulary has {list.Length} tokens; maxTokens {max} leaves room for {max - 2} besides padding and {OutOfVocabularyToken}.", nameof(tokens));
        ids = map;
        vocabulary = [PaddingToken, OutOfVocabularyToken, .. list];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) =>
        [inputShapes[0][0], inputShapes[0].Count == 2 && inputShapes[0][1] != 1 ? inputShapes[0][1] : null];

    /// <inheritdoc/>
    protected override DType ComputeOutputDType(IReadOnlyList<DType> inputTypes) => DType.Int64;

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Dictionary<string, long> map = ids ?? throw new InvalidOperationException($"Layer '{Name}' (TextVectorization) has no vocabulary yet: call Adapt(texts) or SetVocabulary(tokens) before using it.");
        LayerValue input = inputs[0];
        string[][] tokens = input.Strings is { } strings ? ElmoInputs.FromSentences(strings, MaxLength)
            : input.Tokens is { } rows ? ElmoInputs.FromTokens(rows, MaxLength)
            : throw new ArgumentException($"Layer '{Name}' (TextVectorization) expects text (string[] or string[][]), but received a numeric tensor.");
        int steps = tokens.Select(t => t.Length).DefaultIfEmpty(0).Max();
        // Token rows keep their padded width (capped), as ElmoEmbeddingLayer keeps it, so the steps line up.
        if (input.Tokens is { } padded) steps = Math.Max(steps, Math.Min(padded.Select(r => r.Length).DefaultIfEmpty(0).Max(), MaxLength ?? int.MaxValue));
        var values = new long[tokens.Length * steps];
        for (int b = 0; b < tokens.Length; b++)
            for (int t = 0; t < tokens[b].Length; t++)
                values[b * steps + t] = map.TryGetValue(Key(tokens[b][t]), out long id) ? id : 1;
        return LayerValue.FromTensor(tensor(values, [tokens.Length, steps]));
    }

    private string Key(string token) => Lowercase ? token.ToLowerInvariant() : token;
}
