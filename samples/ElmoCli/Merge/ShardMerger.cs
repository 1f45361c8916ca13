using ElmoCli.Embed;
using ElmoKeras.EmbeddingFiles;

namespace ElmoCli.Merge;

/// <summary>
/// Joins <c>OUTPUT.shard-I-of-N.h5</c> into <c>OUTPUT</c> after checking that every shard is there,
/// complete, and made from the same input, model and settings. The shards stay; OUTPUT appears only
/// when whole, and an OUTPUT from anything else is never overwritten.
/// </summary>
internal sealed class ShardMerger(string output, TextWriter log)
{
    /// <returns>The number of sentences in OUTPUT.</returns>
    public long Run(CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(output);
        IReadOnlyList<ShardFile> found = ShardFiles.Find(full);
        if (found.Count == 0)
            throw new FileNotFoundException($"No shards of {full} found: expected {Path.GetFileName(full)}.shard-I-of-N.h5 beside it (written by elmo embed --layout flat --shard-index I --shard-count N).", full);
        List<FlatEmbeddingFile> shards = ShardFiles.OpenComplete(full, found);
        try
        {
            EmbeddingMetadata first = shards[0].Metadata;
            var metadata = first with
            {
                FirstLine = 0, Sentences = shards.Sum(s => s.Metadata.Sentences), Tokens = shards.Sum(s => s.Metadata.Tokens),
                ShardIndex = 0, ShardCount = 1,
            };
            if (File.Exists(full))
            {
                if (AlreadyMerged(full, metadata)) { log.WriteLine($"{full} is already the merge of these shards; nothing to do."); return metadata.Sentences; }
            }
            OutputFile.DeleteStaleTemps(full);
            OutputFile.WriteAtomically(full, temp => FlatFileJoiner.Join(shards, metadata, temp, cancellationToken), overwrite: false);
            return metadata.Sentences;
        }
        finally
        {
            foreach (FlatEmbeddingFile shard in shards) shard.Dispose();
        }
    }

    private static bool AlreadyMerged(string path, EmbeddingMetadata expected)
    {
        EmbeddingMetadata existing = OutputFile.ExistingMetadata(path, "merge to another OUTPUT or delete it");
        var differences = existing.IdentityDifferences(expected).ToList();
        if (existing.Sentences != expected.Sentences || existing.FirstLine != 0) differences.Add($"sentences: {existing.Sentences} vs {expected.Sentences}");
        if (differences.Count == 0) return true;
        throw new IOException($"{path} exists from another run and is not overwritten: {string.Join("; ", differences)}. Merge to another OUTPUT or delete it.");
    }
}
