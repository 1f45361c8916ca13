using System.Text;

namespace ElmoKeras.Elmo;

/// <summary>
/// Turns tokens into the character ids ELMo's CNN reads, exactly as bilm-tf's <c>Batcher</c> and
/// AllenNLP's <c>ELMoCharacterMapper</c> do: UTF-8 bytes shifted by one, wrapped in begin/end-of-word
/// marks, padded, so that id 0 is free for padding tokens.
/// </summary>
internal static class ElmoCharacters
{
    /// <summary>Size of the inference character table: 256 bytes, 5 marks, and the padding id 0.</summary>
    public const int NumCharacterIds = 262;

    /// <summary>Characters per token in published models, begin/end-of-word marks included.</summary>
    public const int DefaultMaxCharacters = 50;

    /// <summary>The token literal that stands for the begin-of-sentence token.</summary>
    public const string BeginOfSentenceToken = "<S>";

    /// <summary>The token literal that stands for the end-of-sentence token.</summary>
    public const string EndOfSentenceToken = "</S>";

    /// <summary>The id that fills a token after its end-of-word mark.</summary>
    public const long PaddingId = PaddingChar + 1;

    // Raw ids before the +1 shift that frees 0 for padding.
    private const int BeginOfSentenceChar = 256;
    private const int EndOfSentenceChar = 257;
    private const int BeginOfWordChar = 258;
    private const int EndOfWordChar = 259;
    private const int PaddingChar = 260;

    // Python's encode('utf-8', 'ignore') drops lone surrogates; .NET's default would write U+FFFD.
    private static readonly Encoding Utf8DropInvalid =
        Encoding.GetEncoding("utf-8", new EncoderReplacementFallback(string.Empty), DecoderFallback.ReplacementFallback);

    /// <summary>
    /// Writes the character ids of <paramref name="token"/> into <paramref name="destination"/>, whose
    /// length is the model's characters per token. Tokens longer than that minus two bytes are cut
    /// on the byte, as bilm-tf does (the cut may split a multi-byte character).
    /// </summary>
    public static void Encode(string token, Span<long> destination)
    {
        ArgumentNullException.ThrowIfNull(token);
        int maxCharacters = destination.Length;
        if (maxCharacters < 3) throw new ArgumentException("The destination must hold at least 3 ids (begin, end and one character).", nameof(destination));

        if (token == BeginOfSentenceToken) { WriteMarked(destination, BeginOfSentenceChar); return; }
        if (token == EndOfSentenceToken) { WriteMarked(destination, EndOfSentenceChar); return; }

        destination.Fill(PaddingChar + 1);
        destination[0] = BeginOfWordChar + 1;
        int maxBytes = maxCharacters - 2;
        Span<byte> bytes = token.Length <= 64 ? stackalloc byte[Utf8DropInvalid.GetMaxByteCount(token.Length)] : new byte[Utf8DropInvalid.GetMaxByteCount(token.Length)];
        int count = Math.Min(Utf8DropInvalid.GetBytes(token, bytes), maxBytes);
        for (int i = 0; i < count; i++) destination[i + 1] = bytes[i] + 1;
        destination[count + 1] = EndOfWordChar + 1;
    }

    /// <summary>The ids of the begin-of-sentence token.</summary>
    public static void EncodeBeginOfSentence(Span<long> destination) => WriteMarked(destination, BeginOfSentenceChar);

    /// <summary>The ids of the end-of-sentence token.</summary>
    public static void EncodeEndOfSentence(Span<long> destination) => WriteMarked(destination, EndOfSentenceChar);

    /// <summary>Returns the character ids of one token as a new array of <paramref name="maxCharacters"/> ids.</summary>
    public static long[] Encode(string token, int maxCharacters = DefaultMaxCharacters)
    {
        var ids = new long[maxCharacters];
        Encode(token, ids);
        return ids;
    }

    private static void WriteMarked(Span<long> destination, int mark)
    {
        destination.Fill(PaddingChar + 1);
        destination[0] = BeginOfWordChar + 1;
        destination[1] = mark + 1;
        destination[2] = EndOfWordChar + 1;
    }
}
