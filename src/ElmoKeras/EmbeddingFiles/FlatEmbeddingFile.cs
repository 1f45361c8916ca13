using PureHDF;
using PureHDF.VOL.Native;
using PureHDF.Selections;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>The flat layout: rows <c>offsets[i]</c> to <c>offsets[i + 1]</c> of <c>embeddings</c> are sentence i.</summary>
public sealed class FlatEmbeddingFile : EmbeddingFile
{
    private readonly NativeFile file;
    private readonly IH5Dataset embeddings, offsets;
    private readonly ulong[] dims;

    internal FlatEmbeddingFile(NativeFile file, string path)
    {
        this.file = file;
        Path = path;
        Metadata = FlatLayout.ReadMetadata(file, path);
        if (!file.LinkExists(FlatLayout.EmbeddingsDataset) || !file.LinkExists(FlatLayout.OffsetsDataset))
            throw new EmbeddingFileException($"{path}: a flat file needs datasets '{FlatLayout.EmbeddingsDataset}' and '{FlatLayout.OffsetsDataset}'.");
        embeddings = file.Dataset(FlatLayout.EmbeddingsDataset);
        offsets = file.Dataset(FlatLayout.OffsetsDataset);
        dims = embeddings.Space.Dimensions;
        ulong[] offsetDims = offsets.Space.Dimensions;
        if (offsetDims.Length != 1 || (long)offsetDims[0] != Metadata.Sentences + 1 || (long)dims[0] != Metadata.Tokens)
            throw new EmbeddingFileException($"{path}: '{FlatLayout.OffsetsDataset}' has {string.Join('x', offsetDims)} entries and '{FlatLayout.EmbeddingsDataset}' {dims[0]} rows; the attributes say {Metadata.Sentences} sentences (so {Metadata.Sentences + 1} offsets) and {Metadata.Tokens} tokens.");
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public override EmbeddingLayout Layout => EmbeddingLayout.Flat;

    /// <inheritdoc/>
    public override long Count => Metadata.Sentences;

    /// <inheritdoc/>
    public override EmbeddingMetadata Metadata { get; }

    /// <inheritdoc/>
    public override SentenceVectors Read(long index)
    {
        CheckIndex(index, Path);
        long[] range = offsets.Read<long[]>(fileSelection: new HyperslabSelection((ulong)index, 2));
        int tokens = checked((int)(range[1] - range[0]));
        float[] rows = ReadRows(range[0], tokens);
        if (dims.Length == 2) return new SentenceVectors([tokens, (int)dims[1]], rows);

        // Stored token-major so a sentence is one contiguous block; the per-sentence layout is layer-major.
        int layers = (int)dims[1], width = (int)dims[2];
        var values = new float[rows.Length];
        for (int t = 0; t < tokens; t++)
            for (int l = 0; l < layers; l++)
                Array.Copy(rows, (t * layers + l) * width, values, (l * tokens + t) * width, width);
        return new SentenceVectors([layers, tokens, width], values);
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> as stored, converted to float32.</summary>
    internal float[] ReadRows(long start, int count)
    {
        ulong[] starts = new ulong[dims.Length], blocks = (ulong[])dims.Clone();
        starts[0] = (ulong)start;
        blocks[0] = (ulong)count;
        var selection = new HyperslabSelection(dims.Length, starts, blocks);
        if (Metadata.StorageType != "float16") return embeddings.Read<float[]>(fileSelection: selection);
        Half[] halves = embeddings.Read<Half[]>(fileSelection: selection);
        var values = new float[halves.Length];
        for (int i = 0; i < halves.Length; i++) values[i] = (float)halves[i];
        return values;
    }

    /// <summary>Offsets <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/>.</summary>
    internal long[] ReadOffsets(long start, int count) =>
        offsets.Read<long[]>(fileSelection: new HyperslabSelection((ulong)start, (ulong)count));

    /// <summary>Layers per token (0 for one vector per token) and the width.</summary>
    internal (int Layers, int Width) Shape => dims.Length == 3 ? ((int)dims[1], (int)dims[2]) : (0, (int)dims[1]);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
    }
}
