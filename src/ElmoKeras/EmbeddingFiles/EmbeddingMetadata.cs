namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// What a flat embedding file says about itself: how it was made (the identity that decides whether
/// two files belong together) and which lines of the input it holds.
/// </summary>
/// <param name="Layers"><c>all</c>, <c>top</c> or <c>average</c>.</param>
/// <param name="StorageType"><c>float32</c> or <c>float16</c>.</param>
/// <param name="Stateful">Whether LSTM states were carried between batches.</param>
/// <param name="Options">The model's <c>options.json</c>.</param>
/// <param name="WeightsSha256">SHA-256 of the model's weights (names, shapes and float32 values).</param>
/// <param name="InputSha256">SHA-256 of the whole input file's bytes.</param>
/// <param name="InputLines">Sentences in the whole input file.</param>
/// <param name="FirstLine">Index (0-based) in the input of this file's first sentence.</param>
/// <param name="Sentences">Sentences in this file.</param>
/// <param name="Tokens">Tokens in this file.</param>
/// <param name="ShardIndex">This file's shard (0 when not sharded).</param>
/// <param name="ShardCount">Shards of the input (1 when not sharded).</param>
/// <param name="Version">The ElmoKeras version that wrote the file.</param>
public sealed record EmbeddingMetadata(
    string Layers,
    string StorageType,
    bool Stateful,
    string Options,
    string WeightsSha256,
    string InputSha256,
    long InputLines,
    long FirstLine,
    long Sentences,
    long Tokens,
    int ShardIndex,
    int ShardCount,
    string Version)
{
    /// <summary>
    /// How the two differ in what decides the numbers (model, input, layer choice, storage, statefulness),
    /// one "name: this vs other" line each; empty when they were made the same way.
    /// </summary>
    public IReadOnlyList<string> IdentityDifferences(EmbeddingMetadata other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var differences = new List<string>();
        void Compare(string name, string mine, string theirs)
        {
            if (!string.Equals(mine, theirs, StringComparison.Ordinal)) differences.Add($"{name}: {Short(mine)} vs {Short(theirs)}");
        }
        Compare(FlatLayout.InputSha256Attribute, InputSha256, other.InputSha256);
        Compare(FlatLayout.InputLinesAttribute, InputLines.ToString(), other.InputLines.ToString());
        Compare(FlatLayout.WeightsSha256Attribute, WeightsSha256, other.WeightsSha256);
        Compare(FlatLayout.OptionsAttribute, Options, other.Options);
        Compare(FlatLayout.LayersAttribute, Layers, other.Layers);
        Compare(FlatLayout.StorageTypeAttribute, StorageType, other.StorageType);
        Compare(FlatLayout.StatefulAttribute, Stateful ? "true" : "false", other.Stateful ? "true" : "false");
        return differences;
    }

    private static string Short(string value)
    {
        string flat = value.ReplaceLineEndings(" ");
        return flat.Length <= 80 ? flat : flat[..77] + "...";
    }
}
