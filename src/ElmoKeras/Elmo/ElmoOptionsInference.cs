using ElmoKeras.Weights;
using ElmoKeras.Weights.Hub;

namespace ElmoKeras.Elmo;

/// <summary>
/// Reads an ELMo's sizes off its variables' shapes (a TF Hub module or checkpoint carries no options.json). A checkpoint cannot say which activation,
/// clips or skip connections were used: those take the published google/elmo settings (relu,
/// clips 3, skip connections, 262 characters, 50 per token).
/// </summary>
internal static class ElmoOptionsInference
{
    /// <summary>
    /// The options of the ELMo whose weights <paramref name="weights"/> holds (bilm-tf names). Only a
    /// complete, consistent set is accepted: every ELMo variable the module holds must be one the
    /// inferred model reads, so a renamed or lost variable is reported instead of silently giving a
    /// smaller model.
    /// </summary>
    /// <exception cref="WeightFormatException">A variable needed to infer the sizes is missing or oddly shaped, or variables are left over.</exception>
    public static ElmoOptions InferOptions(IWeightSource weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        long[] Shape(string name, int rank) => weights.TryGetShape(name) is { } s && s.Length == rank && s.All(d => d is > 0 and <= int.MaxValue) ? s
            : throw new WeightFormatException($"'{weights.Path}': cannot infer the ELMo's sizes: '{name}' is missing or not of rank {rank} with positive sizes.") { FilePath = weights.Path };
        long[] charEmbed = Shape("char_embed", 2);
        var filters = new List<CharCnnFilter>();
        for (int i = 0; weights.TryGetShape($"CNN/W_cnn_{i}") is { Length: 4 } s && s[1] is > 0 and <= int.MaxValue && s[3] is > 0 and <= int.MaxValue; i++)
            filters.Add(new CharCnnFilter((int)s[1], (int)s[3]));
        if (filters.Count == 0) Shape("CNN/W_cnn_0", 4);
        int highways = 0;
        while (weights.TryGetShape($"CNN_high_{highways}/W_carry") is not null) highways++;
        long[] projection = Shape("CNN_proj/W_proj", 2);
        int layers = 0;
        while (weights.TryGetShape($"{ElmoWeightMap.LstmPrefix(0, layers)}/W_0") is not null) layers++;
        long[] cellProjection = Shape($"{ElmoWeightMap.LstmPrefix(0, 0)}/W_P_0", 2);
        var options = new ElmoOptions(
            new LstmOptions((int)cellProjection[0], (int)projection[1], layers, CellClip: 3, ProjectionClip: 3, UseSkipConnections: true),
            new CharCnnOptions((int)charEmbed[1], filters, highways, ElmoCharacters.NumCharacterIds, ElmoCharacters.DefaultMaxCharacters, CharCnnActivation.Relu));
        options.Validate(weights.Path);
        var expected = new HashSet<string>(ElmoWeightMap.ExpectedShapes(options).Select(e => e.Name), StringComparer.Ordinal);
        string[] leftOver = weights.Names.Where(n => !expected.Contains(n) && n is not (HubModuleWeightSource.MixWeights or HubModuleWeightSource.MixScaling))
            .Order(StringComparer.Ordinal).ToArray();
        if (leftOver.Length > 0)
            throw new WeightFormatException(
                $"'{weights.Path}': cannot infer the ELMo's sizes consistently: the variables suggest {layers} LSTM layer(s), {highways} highway layer(s) and {filters.Count} filter(s), " +
                $"but {leftOver.Length} ELMo variable(s) would be left unused ({string.Join(", ", leftOver.Take(10))}{(leftOver.Length > 10 ? ", …" : "")}). " +
                "A variable is probably missing or misnamed; pass the options explicitly to see every mismatch.") { FilePath = weights.Path };
        return options;
    }
}
