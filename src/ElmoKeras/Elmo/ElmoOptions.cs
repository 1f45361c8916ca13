using System.Text.Json;

namespace ElmoKeras.Elmo;

/// <summary>
/// The architecture of an ELMo bi-LM, as written in bilm-tf/AllenNLP <c>options.json</c>.
/// </summary>
/// <param name="Lstm">The recurrent part.</param>
/// <param name="CharCnn">The context-independent character encoder.</param>
public sealed record ElmoOptions(LstmOptions Lstm, CharCnnOptions CharCnn)
{
    /// <summary>The width of every output layer: forward and backward halves of <c>projection_dim</c>.</summary>
    public int OutputDim => 2 * Lstm.ProjectionDim;

    /// <summary>Number of output layers: the token layer plus one per LSTM layer.</summary>
    public int NumOutputLayers => Lstm.NumLayers + 1;

    /// <summary>The sum of the CNN filter counts (the width of the highway layers).</summary>
    public int NumFilters => CharCnn.Filters.Sum(f => f.Count);

    /// <summary>Reads and validates an <c>options.json</c> file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ElmoOptionsException">The file is not valid JSON or misses or mistypes a setting.</exception>
    public static ElmoOptions Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"ELMo options file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and validates the JSON text of an options file.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Where the text came from, for error messages.</param>
    public static ElmoOptions Parse(string json, string source = "options.json")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ElmoOptionsException($"{source}: not valid JSON ({ex.Message}). Expected an ELMo options.json with 'lstm' and 'char_cnn' objects.", ex) { FilePath = source };
        }
        using (document)
        {
            var reader = new OptionsReader(source);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ElmoOptionsException($"{source}: the top level must be an object with 'lstm' and 'char_cnn', got {Describe(root)}.") { FilePath = source };
            JsonElement lstm = reader.Object(root, "lstm");
            JsonElement cnn = reader.Object(root, "char_cnn");
            var lstmOptions = new LstmOptions(
                Dim: reader.PositiveInt(lstm, "lstm.dim"),
                ProjectionDim: reader.PositiveInt(lstm, "lstm.projection_dim"),
                NumLayers: reader.PositiveInt(lstm, "lstm.n_layers"),
                CellClip: reader.OptionalClip(lstm, "lstm.cell_clip"),
                ProjectionClip: reader.OptionalClip(lstm, "lstm.proj_clip"),
                UseSkipConnections: reader.OptionalBool(lstm, "lstm.use_skip_connections", false));
            JsonElement embedding = reader.Object(cnn, "char_cnn.embedding");
            var cnnOptions = new CharCnnOptions(
                EmbeddingDim: reader.PositiveInt(embedding, "char_cnn.embedding.dim"),
                Filters: reader.Filters(cnn, "char_cnn.filters"),
                NumHighway: reader.NonNegativeInt(cnn, "char_cnn.n_highway"),
                NumCharacters: reader.PositiveInt(cnn, "char_cnn.n_characters"),
                MaxCharactersPerToken: reader.PositiveInt(cnn, "char_cnn.max_characters_per_token"),
                Activation: reader.Activation(cnn, "char_cnn.activation"));
            var options = new ElmoOptions(lstmOptions, cnnOptions);
            options.Validate(source);
            return options;
        }
    }

    /// <summary>The largest <c>lstm.n_layers</c> and <c>char_cnn.n_highway</c> accepted; published models use 2 and 1–2.</summary>
    public const int MaxLayers = 64;

    /// <summary>The largest <c>dim</c>, <c>projection_dim</c>, embedding size and filter count accepted (published: 4096 at most).</summary>
    public const int MaxWidth = 1 << 16;

    /// <summary>The largest <c>max_characters_per_token</c> accepted (published: 50).</summary>
    public const int MaxCharacters = 1024;

    /// <summary>The most parameters a model may have: ten times the original ELMo's 93.6 million.</summary>
    public const long MaxParameters = 1_000_000_000;

    /// <summary>The number of float parameters the bi-LM has, computed without overflow.</summary>
    public long ParameterCount()
    {
        long d = CharCnn.EmbeddingDim, f = CharCnn.Filters.Sum(x => (long)x.Count), p = Lstm.ProjectionDim, c = Lstm.Dim;
        long cnn = CharCnn.NumCharacters * d + CharCnn.Filters.Sum(x => (long)x.Width * d * x.Count + x.Count);
        long highway = CharCnn.NumHighway * 2 * (f * f + f);
        long projection = f * p + p;
        long lstm = 2L * Lstm.NumLayers * (2 * p * 4 * c + 4 * c + c * p);
        return checked(cnn + highway + projection + lstm);
    }

    /// <summary>Checks the settings are ones this implementation can run, and that the model they describe fits in memory.</summary>
    /// <exception cref="ElmoOptionsException">A setting is out of range; the message names it.</exception>
    public void Validate(string source = "options")
    {
        var errors = new List<string>();
        void Bound(string name, long value, long max)
        {
            if (value > max) errors.Add($"{name} must be at most {max}, got {value}");
        }
        Bound("lstm.dim", Lstm.Dim, MaxWidth);
        Bound("lstm.projection_dim", Lstm.ProjectionDim, MaxWidth);
        Bound("lstm.n_layers", Lstm.NumLayers, MaxLayers);
        Bound("char_cnn.embedding.dim", CharCnn.EmbeddingDim, MaxWidth);
        Bound("char_cnn.n_highway", CharCnn.NumHighway, MaxLayers);
        Bound("char_cnn.max_characters_per_token", CharCnn.MaxCharactersPerToken, MaxCharacters);
        Bound("the number of char_cnn.filters", CharCnn.Filters.Count, 256);
        foreach (var (_, count) in CharCnn.Filters) Bound("a char_cnn.filters count", count, MaxWidth);
        if (Lstm.CellClip is { } cellClip && !float.IsFinite(cellClip)) errors.Add($"lstm.cell_clip must be finite, got {cellClip}");
        if (Lstm.ProjectionClip is { } projClip && !float.IsFinite(projClip)) errors.Add($"lstm.proj_clip must be finite, got {projClip}");
        if (Lstm.Dim <= 0) errors.Add($"lstm.dim must be positive, got {Lstm.Dim}");
        if (Lstm.ProjectionDim <= 0) errors.Add($"lstm.projection_dim must be positive, got {Lstm.ProjectionDim}");
        if (Lstm.NumLayers <= 0) errors.Add($"lstm.n_layers must be positive, got {Lstm.NumLayers}");
        if (CharCnn.EmbeddingDim <= 0) errors.Add($"char_cnn.embedding.dim must be positive, got {CharCnn.EmbeddingDim}");
        if (CharCnn.Filters.Count == 0) errors.Add("char_cnn.filters must list at least one [width, count] pair");
        foreach (var (width, count) in CharCnn.Filters)
        {
            if (width <= 0 || count <= 0) errors.Add($"char_cnn.filters entry [{width}, {count}] must have a positive width and count");
            if (width > CharCnn.MaxCharactersPerToken) errors.Add($"char_cnn.filters width {width} exceeds max_characters_per_token {CharCnn.MaxCharactersPerToken}");
        }
        // 262 = 256 bytes + 5 specials + the padding id 0; bilm-tf rejects anything else at inference.
        if (CharCnn.NumCharacters != ElmoCharacters.NumCharacterIds)
            errors.Add($"char_cnn.n_characters must be {ElmoCharacters.NumCharacterIds} for inference (261 is the training-time value), got {CharCnn.NumCharacters}");
        if (CharCnn.MaxCharactersPerToken < 3) errors.Add($"char_cnn.max_characters_per_token must be at least 3, got {CharCnn.MaxCharactersPerToken}");
        if (CharCnn.NumHighway < 0) errors.Add($"char_cnn.n_highway must not be negative, got {CharCnn.NumHighway}");
        if (Lstm.CellClip is <= 0) errors.Add($"lstm.cell_clip must be positive when given, got {Lstm.CellClip}");
        if (Lstm.ProjectionClip is <= 0) errors.Add($"lstm.proj_clip must be positive when given, got {Lstm.ProjectionClip}");
        if (errors.Count == 0 && ParameterCount() > MaxParameters)
            errors.Add($"the model would have {ParameterCount():N0} parameters, more than the {MaxParameters:N0} allowed");
        if (errors.Count > 0)
            throw new ElmoOptionsException($"{source}: invalid ELMo options: {string.Join("; ", errors)}.") { FilePath = source };
    }

    private static string Describe(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 80 ? text : text[..80] + "…";
    }

    /// <summary>Serialises the options in the bilm-tf <c>options.json</c> layout.</summary>
    public string ToJson()
    {
        var value = new Dictionary<string, object?>
        {
            ["lstm"] = new Dictionary<string, object?>
            {
                ["dim"] = Lstm.Dim,
                ["projection_dim"] = Lstm.ProjectionDim,
                ["n_layers"] = Lstm.NumLayers,
                ["cell_clip"] = Lstm.CellClip,
                ["proj_clip"] = Lstm.ProjectionClip,
                ["use_skip_connections"] = Lstm.UseSkipConnections,
            },
            ["char_cnn"] = new Dictionary<string, object?>
            {
                ["embedding"] = new Dictionary<string, object?> { ["dim"] = CharCnn.EmbeddingDim },
                ["filters"] = CharCnn.Filters.Select(f => new[] { f.Width, f.Count }).ToArray(),
                ["n_highway"] = CharCnn.NumHighway,
                ["n_characters"] = CharCnn.NumCharacters,
                ["max_characters_per_token"] = CharCnn.MaxCharactersPerToken,
                ["activation"] = CharCnn.Activation == CharCnnActivation.Relu ? "relu" : "tanh",
            },
        };
        return JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true });
    }

    private readonly struct OptionsReader(string source)
    {
        public JsonElement Object(JsonElement parent, string path)
        {
            JsonElement value = Property(parent, path);
            if (value.ValueKind != JsonValueKind.Object) throw Error(path, "an object", value);
            // A repeated key would silently override the first; say so instead.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in value.EnumerateObject())
                if (!seen.Add(property.Name))
                    throw new ElmoOptionsException($"{source}: '{path}' sets '{property.Name}' twice; expected each setting once.") { FilePath = source };
            return value;
        }

        public int PositiveInt(JsonElement parent, string path)
        {
            int value = Int(parent, path);
            if (value <= 0) throw new ElmoOptionsException($"{source}: '{path}' must be a positive integer, got {value}.") { FilePath = source };
            return value;
        }

        public int NonNegativeInt(JsonElement parent, string path)
        {
            int value = Int(parent, path);
            if (value < 0) throw new ElmoOptionsException($"{source}: '{path}' must not be negative, got {value}.") { FilePath = source };
            return value;
        }

        public float? OptionalClip(JsonElement parent, string path)
        {
            if (!parent.TryGetProperty(Leaf(path), out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.Number || !float.IsFinite(value.GetSingle())) throw Error(path, "a finite number or null", value);
            return value.GetSingle();
        }

        public bool OptionalBool(JsonElement parent, string path, bool fallback)
        {
            if (!parent.TryGetProperty(Leaf(path), out JsonElement value) || value.ValueKind == JsonValueKind.Null) return fallback;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error(path, "true or false", value),
            };
        }

        public IReadOnlyList<CharCnnFilter> Filters(JsonElement parent, string path)
        {
            JsonElement value = Property(parent, path);
            if (value.ValueKind != JsonValueKind.Array) throw Error(path, "a list of [width, count] pairs", value);
            var filters = new List<CharCnnFilter>();
            int index = 0;
            foreach (JsonElement pair in value.EnumerateArray())
            {
                if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                    || pair[0].ValueKind != JsonValueKind.Number || pair[1].ValueKind != JsonValueKind.Number
                    || !pair[0].TryGetInt32(out int width) || !pair[1].TryGetInt32(out int count))
                    throw Error($"{path}[{index}]", "a [width, count] pair of integers", pair);
                filters.Add(new CharCnnFilter(width, count));
                index++;
            }
            return filters;
        }

        public CharCnnActivation Activation(JsonElement parent, string path)
        {
            JsonElement value = Property(parent, path);
            return value.ValueKind == JsonValueKind.String ? value.GetString() switch
            {
                "relu" => CharCnnActivation.Relu,
                "tanh" => CharCnnActivation.Tanh,
                _ => throw Error(path, "\"relu\" or \"tanh\"", value),
            } : throw Error(path, "\"relu\" or \"tanh\"", value);
        }

        private int Int(JsonElement parent, string path)
        {
            JsonElement value = Property(parent, path);
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int result)) throw Error(path, "an integer", value);
            return result;
        }

        private JsonElement Property(JsonElement parent, string path)
        {
            if (parent.ValueKind != JsonValueKind.Object)
                throw new ElmoOptionsException($"{source}: '{path}' must sit in an object, got {Describe(parent)}.") { FilePath = source };
            if (!parent.TryGetProperty(Leaf(path), out JsonElement value))
                throw new ElmoOptionsException($"{source}: missing required setting '{path}'.") { FilePath = source };
            return value;
        }

        private static string Leaf(string path) => path[(path.LastIndexOf('.') + 1)..];

        private ElmoOptionsException Error(string path, string expected, JsonElement got) =>
            new($"{source}: '{path}' must be {expected}, got {Describe(got)}.") { FilePath = source };
    }
}

/// <summary>Settings of the LSTM stack (<c>options.json</c> "lstm").</summary>
/// <param name="Dim">Cell size C (<c>dim</c>).</param>
/// <param name="ProjectionDim">Projection size P (<c>projection_dim</c>); each output layer is 2P wide.</param>
/// <param name="NumLayers">LSTM layers per direction (<c>n_layers</c>).</param>
/// <param name="CellClip">Clip of the cell state, or null for none (<c>cell_clip</c>).</param>
/// <param name="ProjectionClip">Clip of the projected output, or null for none (<c>proj_clip</c>).</param>
/// <param name="UseSkipConnections">Residual connections on layers after the first (<c>use_skip_connections</c>).</param>
public sealed record LstmOptions(int Dim, int ProjectionDim, int NumLayers, float? CellClip, float? ProjectionClip, bool UseSkipConnections);

/// <summary>Settings of the character CNN (<c>options.json</c> "char_cnn").</summary>
/// <param name="EmbeddingDim">Character embedding size D.</param>
/// <param name="Filters">Convolution widths and counts, in order.</param>
/// <param name="NumHighway">Highway layers after the convolutions.</param>
/// <param name="NumCharacters">Character vocabulary size; 262 at inference.</param>
/// <param name="MaxCharactersPerToken">Characters per token including begin/end-of-word marks (50).</param>
/// <param name="Activation">Activation after the max-pool.</param>
public sealed record CharCnnOptions(int EmbeddingDim, IReadOnlyList<CharCnnFilter> Filters, int NumHighway, int NumCharacters, int MaxCharactersPerToken, CharCnnActivation Activation)
{
    /// <inheritdoc/>
    public bool Equals(CharCnnOptions? other) =>
        other is not null && EmbeddingDim == other.EmbeddingDim && Filters.SequenceEqual(other.Filters) && NumHighway == other.NumHighway
        && NumCharacters == other.NumCharacters && MaxCharactersPerToken == other.MaxCharactersPerToken && Activation == other.Activation;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(EmbeddingDim, Filters.Count, NumHighway, NumCharacters, MaxCharactersPerToken, Activation);
}

/// <summary>One convolution of the character CNN.</summary>
/// <param name="Width">Characters the filter spans.</param>
/// <param name="Count">Number of output channels.</param>
public readonly record struct CharCnnFilter(int Width, int Count);

/// <summary>Activation applied after the character convolutions' max-pool.</summary>
public enum CharCnnActivation
{
    /// <summary>max(0, x); every published model uses it.</summary>
    Relu,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
}
