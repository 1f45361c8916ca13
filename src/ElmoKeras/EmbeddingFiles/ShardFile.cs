namespace ElmoKeras.EmbeddingFiles;

/// <summary>A shard found beside an output: <c>OUTPUT.shard-Index-of-Count.h5</c>.</summary>
internal sealed record ShardFile(string Path, int Index, int Count);
