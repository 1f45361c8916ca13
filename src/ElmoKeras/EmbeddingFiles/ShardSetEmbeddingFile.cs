namespace ElmoKeras.EmbeddingFiles;

/// <summary>A complete set of shards read as one file, in input order.</summary>
internal sealed class ShardSetEmbeddingFile : EmbeddingFile
{
    private readonly List<FlatEmbeddingFile> shards;
    private readonly string output;

    private ShardSetEmbeddingFile(string output, List<FlatEmbeddingFile> shards)
    {
        this.output = output;
        this.shards = shards;
        EmbeddingMetadata first = shards[0].Metadata;
        Metadata = first with
        {
            FirstLine = 0, Sentences = shards.Sum(s => s.Metadata.Sentences), Tokens = shards.Sum(s => s.Metadata.Tokens),
            ShardIndex = 0, ShardCount = 1,
        };
    }

    public static ShardSetEmbeddingFile Open(string output, IReadOnlyList<ShardFile> found) =>
        new(output, ShardFiles.OpenComplete(output, found));

    public override EmbeddingLayout Layout => EmbeddingLayout.Flat;

    public override long Count => Metadata.Sentences;

    public override EmbeddingMetadata Metadata { get; }

    public override SentenceVectors Read(long index)
    {
        CheckIndex(index, output);
        foreach (FlatEmbeddingFile shard in shards)
        {
            long first = shard.Metadata.FirstLine;
            if (index < first + shard.Metadata.Sentences) return shard.Read(index - first);
        }
        throw new InvalidOperationException("unreachable: the shards cover every line");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) foreach (FlatEmbeddingFile shard in shards) shard.Dispose();
    }
}
