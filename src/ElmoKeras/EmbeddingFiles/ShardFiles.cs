using System.Globalization;
using System.Text.RegularExpressions;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// Names, finds and checks the shards of an output. Shard I of N holds the contiguous input lines
/// <see cref="Range"/> gives, so shards concatenate back in input order.
/// </summary>
public static class ShardFiles
{
    /// <summary>The file shard <paramref name="index"/> of <paramref name="count"/> of <paramref name="output"/> is written to.</summary>
    public static string ShardPath(string output, int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{output}.shard-{index}-of-{count}.h5");

    /// <summary>
    /// The input lines <c>[Start, End)</c> of shard <paramref name="index"/> of <paramref name="count"/>
    /// over <paramref name="lines"/> lines. Boundaries fall on multiples of <paramref name="alignment"/>
    /// (the embedder's sorting window), so a shard's batches are exactly those of a single-process run
    /// and the vectors are bit-identical.
    /// </summary>
    public static (long Start, long End) Range(long lines, int index, int count, int alignment = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(alignment);
        long blocks = (lines + alignment - 1) / alignment;
        long first = (long)((Int128)blocks * index / count), last = (long)((Int128)blocks * (index + 1) / count);
        return (Math.Min(lines, first * alignment), Math.Min(lines, last * alignment));
    }

    /// <summary>Every shard file of <paramref name="output"/> (any count), sorted by count then index.</summary>
    public static IReadOnlyList<ShardFile> Find(string output)
    {
        string full = System.IO.Path.GetFullPath(output);
        string directory = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) return [];
        var pattern = new Regex("^" + Regex.Escape(System.IO.Path.GetFileName(full)) + @"\.shard-(\d+)-of-(\d+)\.h5$", RegexOptions.CultureInvariant);
        var found = new List<ShardFile>();
        foreach (string candidate in Directory.EnumerateFiles(directory))
        {
            Match match = pattern.Match(System.IO.Path.GetFileName(candidate));
            if (match.Success && int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out int index)
                              && int.TryParse(match.Groups[2].Value, CultureInfo.InvariantCulture, out int count))
                found.Add(new ShardFile(candidate, index, count));
        }
        return found.OrderBy(s => s.Count).ThenBy(s => s.Index).ToList();
    }

    /// <summary>
    /// Opens every shard after checking that they are all there, complete, and made from the same
    /// input, model and settings; throws naming the shard and what differs otherwise.
    /// </summary>
    /// <exception cref="EmbeddingFileException">A shard is missing, incomplete, or from another input, model or settings.</exception>
    public static List<FlatEmbeddingFile> OpenComplete(string output, IReadOnlyList<ShardFile> shards)
    {
        int[] counts = shards.Select(s => s.Count).Distinct().ToArray();
        if (counts.Length > 1)
            throw new EmbeddingFileException($"Shards of {output} disagree on the shard count: {string.Join(", ", shards.Select(s => System.IO.Path.GetFileName(s.Path)))}. Delete the ones from the other run.");
        int count = counts[0];
        int[] missing = Enumerable.Range(0, count).Except(shards.Select(s => s.Index)).ToArray();
        if (missing.Length > 0)
            throw new EmbeddingFileException($"Shards of {output} are missing: {string.Join(", ", missing.Select(i => System.IO.Path.GetFileName(ShardPath(output, i, count))))} (of {count}); run those array tasks (again).");
        var files = new List<FlatEmbeddingFile>();
        try
        {
            foreach (ShardFile shard in shards.OrderBy(s => s.Index))
            {
                EmbeddingFile opened = EmbeddingFile.OpenSingle(shard.Path);
                if (opened is not FlatEmbeddingFile flat)
                {
                    opened.Dispose();
                    throw new EmbeddingFileException($"{shard.Path}: not a flat embedding file; shards are written with --layout flat.");
                }
                files.Add(flat);
                EmbeddingMetadata m = flat.Metadata;
                if (m.ShardIndex != shard.Index || m.ShardCount != shard.Count)
                    throw new EmbeddingFileException($"{shard.Path}: its attributes say shard {m.ShardIndex} of {m.ShardCount}, its name shard {shard.Index} of {shard.Count}.");
                if (files.Count > 1)
                {
                    IReadOnlyList<string> differences = files[0].Metadata.IdentityDifferences(m);
                    if (differences.Count > 0)
                        throw new EmbeddingFileException($"{shard.Path} does not belong with {files[0].Path}: {string.Join("; ", differences)}.");
                }
                long expectedFirst = files.Count == 1 ? 0 : files[^2].Metadata.FirstLine + files[^2].Metadata.Sentences;
                if (m.FirstLine != expectedFirst)
                    throw new EmbeddingFileException($"{shard.Path}: holds {FlatLayout.Describe(m)}, but the shards before it end at line {expectedFirst - 1}; its lines were cut differently (another --batch-size?). Embed it again with the others' settings.");
            }
            EmbeddingMetadata lastShard = files[^1].Metadata;
            if (lastShard.FirstLine + lastShard.Sentences != lastShard.InputLines)
                throw new EmbeddingFileException($"{files[^1].Path}: holds {FlatLayout.Describe(lastShard)}; the last shard must end at the input's last line.");
            return files;
        }
        catch
        {
            foreach (FlatEmbeddingFile file in files) file.Dispose();
            throw;
        }
    }
}
