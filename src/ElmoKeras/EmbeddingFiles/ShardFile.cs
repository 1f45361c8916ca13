namespace ElmoKeras.EmbeddingFiles;

/// <summary>A shard found beside an output: <c>OUTPUT.shard-Index-of-Count.h5</c>.</summary>
/// <param name="Path">The shard's full path.</param>
/// <param name="Index">Its index, from 0.</param>
/// <param name="Count">The shard count its name gives.</param>
public sealed record ShardFile(string Path, int Index, int Count);
