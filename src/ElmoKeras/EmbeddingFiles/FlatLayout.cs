using System.Globalization;
using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>The names of the flat layout's datasets and attributes, and the metadata's round trip.</summary>
public static class FlatLayout
{
    /// <summary>The dataset of every token's vectors: <c>[tokens, layers, width]</c> or <c>[tokens, width]</c>.</summary>
    public const string EmbeddingsDataset = "embeddings";

    /// <summary>The int64 dataset <c>[sentences + 1]</c>: sentence i has rows <c>offsets[i]</c> to <c>offsets[i + 1]</c>.</summary>
    public const string OffsetsDataset = "offsets";

    /// <summary>Root attribute that marks a flat file; its value is the layout's version.</summary>
    public const string LayoutAttribute = "elmokeras_layout";

    internal const string LayoutValue = "flat-1";
    internal const string LayersAttribute = "layers";
    internal const string StorageTypeAttribute = "storage_type";
    internal const string StatefulAttribute = "stateful";
    internal const string OptionsAttribute = "options";
    internal const string WeightsSha256Attribute = "weights_sha256";
    internal const string InputSha256Attribute = "input_sha256";
    internal const string InputLinesAttribute = "input_lines";
    internal const string FirstLineAttribute = "first_line";
    internal const string SentencesAttribute = "sentences";
    internal const string TokensAttribute = "tokens";
    internal const string ShardIndexAttribute = "shard_index";
    internal const string ShardCountAttribute = "shard_count";
    internal const string VersionAttribute = "elmokeras_version";

    internal static Dictionary<string, object> ToAttributes(EmbeddingMetadata metadata) => new()
    {
        [LayoutAttribute] = LayoutValue,
        [LayersAttribute] = metadata.Layers,
        [StorageTypeAttribute] = metadata.StorageType,
        [StatefulAttribute] = metadata.Stateful ? 1L : 0L,
        [OptionsAttribute] = metadata.Options,
        [WeightsSha256Attribute] = metadata.WeightsSha256,
        [InputSha256Attribute] = metadata.InputSha256,
        [InputLinesAttribute] = metadata.InputLines,
        [FirstLineAttribute] = metadata.FirstLine,
        [SentencesAttribute] = metadata.Sentences,
        [TokensAttribute] = metadata.Tokens,
        [ShardIndexAttribute] = (long)metadata.ShardIndex,
        [ShardCountAttribute] = (long)metadata.ShardCount,
        [VersionAttribute] = metadata.Version,
    };

    /// <summary>Whether an open HDF5 file is in the flat layout.</summary>
    internal static bool IsFlat(NativeFile file) => file.AttributeExists(LayoutAttribute);

    internal static EmbeddingMetadata ReadMetadata(NativeFile file, string path)
    {
        try
        {
            string layout = file.Attribute(LayoutAttribute).Read<string>();
            if (layout != LayoutValue)
                throw new EmbeddingFileException($"{path}: flat layout '{layout}' is not one this version reads (expected '{LayoutValue}').");
            return new EmbeddingMetadata(
                Text(file, LayersAttribute), Text(file, StorageTypeAttribute), Number(file, StatefulAttribute) != 0,
                Text(file, OptionsAttribute), Text(file, WeightsSha256Attribute), Text(file, InputSha256Attribute),
                Number(file, InputLinesAttribute), Number(file, FirstLineAttribute), Number(file, SentencesAttribute),
                Number(file, TokensAttribute), checked((int)Number(file, ShardIndexAttribute)), checked((int)Number(file, ShardCountAttribute)),
                Text(file, VersionAttribute));
        }
        catch (Exception ex) when (ex is not EmbeddingFileException)
        {
            throw new EmbeddingFileException($"{path}: the flat layout's attributes cannot be read ({ex.Message}).", ex);
        }
    }

    private static string Text(NativeFile file, string name) => file.Attribute(name).Read<string>();

    private static long Number(NativeFile file, string name) => file.Attribute(name).Read<long>();

    internal static string Describe(EmbeddingMetadata m) =>
        string.Create(CultureInfo.InvariantCulture, $"lines {m.FirstLine}..{m.FirstLine + m.Sentences - 1} of {m.InputLines}");
}
