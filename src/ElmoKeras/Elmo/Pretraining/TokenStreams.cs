namespace ElmoKeras.Elmo.Pretraining;

/// <summary>
/// Text laid out for truncated back-propagation as bilm-tf does: sentences wrapped in
/// <c>&lt;S&gt; … &lt;/S&gt;</c> go end to end into a fixed number of streams (one per batch row), which
/// are cut into windows of <c>unrollSteps</c> tokens; window <c>w</c> of every stream forms one batch,
/// whose LSTM states carry over into window <c>w + 1</c>.
/// </summary>
internal sealed class TokenStreams
{
    private readonly string[][] streams;
    private readonly int unrollSteps;

    private TokenStreams(string[][] streams, int unrollSteps, string what)
    {
        this.streams = streams;
        this.unrollSteps = unrollSteps;
        Windows = streams.Min(s => (s.Length - 1) / unrollSteps);
        if (Windows == 0)
            throw new ArgumentException($"The {what} text is too short: each of the {streams.Length} streams needs more than {unrollSteps} tokens. Pass more sentences or lower BatchSize/UnrollSteps.");
    }

    /// <summary>Number of streams (batch rows).</summary>
    public int Rows => streams.Length;

    /// <summary>Number of complete windows every stream has (a window also needs the token after it).</summary>
    public int Windows { get; }

    /// <summary>
    /// Lays <paramref name="sentences"/> into <paramref name="rows"/> streams, in an order shuffled by
    /// <paramref name="shuffleSeed"/> (or as given when null), each sentence going to the currently
    /// shortest stream so that the streams stay even; windows are <paramref name="unrollSteps"/> long.
    /// <paramref name="what"/> names the text in the error when it is too short ("training", "held-out").
    /// </summary>
    /// <exception cref="ArgumentException">Some stream has no complete window.</exception>
    public static TokenStreams Create(IReadOnlyList<IReadOnlyList<string>> sentences, int? shuffleSeed, int rows, int unrollSteps, string what)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        IEnumerable<IReadOnlyList<string>> order = sentences;
        if (shuffleSeed is int seed)
        {
            var random = new Random(seed);
            order = sentences.Select(x => (Key: random.Next(), Sentence: x)).OrderBy(x => x.Key).Select(x => x.Sentence).ToArray();
        }
        var streams = Enumerable.Range(0, rows).Select(_ => new List<string>()).ToArray();
        int i = 0;
        foreach (var sentence in order)
        {
            // Keep the streams even: each sentence goes to the currently shortest one.
            int shortest = i++ < streams.Length ? i - 1 : Array.IndexOf(streams, streams.MinBy(x => x.Count));
            streams[shortest].AddRange(Wrap(sentence));
        }
        return new TokenStreams(streams.Select(x => x.ToArray()).ToArray(), unrollSteps, what);
    }

    /// <summary>
    /// Window <paramref name="window"/>: the input tokens [rows][unrollSteps] and, row-major, the ids of
    /// each token's successor (the forward LM's targets) and predecessor (the backward LM's targets;
    /// <paramref name="noTarget"/> for a stream's very first token, which has none).
    /// </summary>
    public (string[][] Tokens, long[] Next, long[] Previous) Window(int window, Vocabulary vocabulary, long noTarget)
    {
        int rows = streams.Length, steps = unrollSteps, start = window * steps;
        var tokens = new string[rows][];
        var next = new long[rows * steps];
        var previous = new long[rows * steps];
        for (int r = 0; r < rows; r++)
        {
            tokens[r] = streams[r][start..(start + steps)];
            for (int t = 0; t < steps; t++)
            {
                next[r * steps + t] = vocabulary.IdOf(streams[r][start + t + 1]);
                previous[r * steps + t] = start + t > 0 ? vocabulary.IdOf(streams[r][start + t - 1]) : noTarget;
            }
        }
        return (tokens, next, previous);
    }

    /// <summary>A sentence with its boundary tokens, as the streams hold it.</summary>
    public static IEnumerable<string> Wrap(IReadOnlyList<string> sentence) => [Vocabulary.BeginOfSentence, .. sentence, Vocabulary.EndOfSentence];
}
