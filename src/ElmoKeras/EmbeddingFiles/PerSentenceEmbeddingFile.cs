using System.Globalization;
using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>AllenNLP's layout: datasets named "0", "1", … plus an optional <c>sentence_to_index</c>.</summary>
internal sealed class PerSentenceEmbeddingFile : EmbeddingFile
{
    private readonly NativeFile file;
    private readonly string path;

    public PerSentenceEmbeddingFile(NativeFile file, string path)
    {
        this.file = file;
        this.path = path;
        long count = 0;
        while (file.LinkExists(count.ToString(CultureInfo.InvariantCulture))) count++;
        if (count == 0)
            throw new EmbeddingFileException($"{path}: neither the flat layout (no '{FlatLayout.LayoutAttribute}' attribute) nor one dataset per line (no dataset \"0\"; files written with --use-sentence-keys are read by key with an HDF5 library).");
        Count = count;
    }

    public override EmbeddingLayout Layout => EmbeddingLayout.PerSentence;

    public override long Count { get; }

    public override EmbeddingMetadata? Metadata => null;

    public override SentenceVectors Read(long index)
    {
        CheckIndex(index, path);
        IH5Dataset dataset = file.Dataset(index.ToString(CultureInfo.InvariantCulture));
        int[] shape = dataset.Space.Dimensions.Select(d => checked((int)d)).ToArray();
        return new SentenceVectors(shape, dataset.Read<float[]>());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
    }
}
