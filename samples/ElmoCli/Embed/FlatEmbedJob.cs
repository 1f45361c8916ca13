using System.Globalization;
using ElmoKeras.Elmo;
using ElmoKeras.EmbeddingFiles;

namespace ElmoCli.Embed;

/// <summary>
/// The flat layout, whole input or one shard, resumable. The lines are written as parts of at most
/// <see cref="EmbedSettings.CheckpointLines"/> sentences, each a complete flat file under its final
/// name only once whole; a restarted run keeps the parts that match and continues after them. When
/// every part is there they are joined into the target (PureHDF cannot reopen a file to append, so
/// checkpoints are separate files). A target already complete for the same input, model and settings
/// is left alone; one from anything else is an error, never overwritten.
/// </summary>
internal sealed class FlatEmbedJob(ElmoModel elmo, EmbedSettings settings, TextWriter log)
{
    /// <summary>Embeds what the settings ask for.</summary>
    /// <returns>Sentences embedded by this run (0 when the target was already complete).</returns>
    public long Run(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (settings.CheckpointLines <= 0) throw new ArgumentException($"--checkpoint-lines must be positive, got {settings.CheckpointLines}.");
        InputScan input = SentenceReader.Scan(settings.InputFile);
        string output = Path.GetFullPath(settings.OutputFile);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        ShardChoice shard = settings.Shard ?? new ShardChoice(0, 1);
        if (settings.Shard is not null) CheckNoOtherShardCount(output, shard);
        if (settings.Stateful && settings.Shard is not null)
            throw new ArgumentException($"Shard {shard.Index} of {shard.Count}: --stateful carries LSTM states from line to line through the whole file, so it cannot be sharded.");
        // Shards and checkpoints start on window boundaries, so every run batches alike (bit-identical vectors).
        int window = settings.BatchSize * SentenceBatcher.WindowBatches;
        var (start, end) = ShardFiles.Range(input.Lines, shard.Index, shard.Count, window);
        if (end == start)
            throw new ArgumentException($"Shard {shard.Index} of {shard.Count} would be empty: {settings.InputFile} has {input.Lines} lines, cut at multiples of {window} (--batch-size x {SentenceBatcher.WindowBatches}); use fewer shards or a smaller --batch-size.");
        // A stateful run cannot resume mid-file (its states are gone), so it is one part.
        long partLines = settings.Stateful ? end - start : (settings.CheckpointLines + (long)window - 1) / window * window;
        string target = settings.Shard is null ? output : ShardFiles.ShardPath(output, shard.Index, shard.Count);

        var identity = new EmbeddingMetadata(settings.LayersName, settings.Float16 ? "float16" : "float32", settings.Stateful,
            elmo.Options.ToJson(), ModelFingerprint.WeightsSha256(elmo), input.Sha256, input.Lines, start, end - start, 0,
            shard.Index, shard.Count, ModelFingerprint.LibraryVersion);
        if (File.Exists(target))
        {
            if (IsComplete(target, identity, start, end)) { log.WriteLine($"{target} is already complete for this input, model and settings; skipped."); return 0; }
        }

        OutputFile.DeleteStaleTemps(target);
        var parts = new List<(string Path, long Start, long End)>();
        for (long partStart = start; partStart < end; partStart += partLines)
        {
            parts.Add((PartPath(target, parts.Count), partStart, Math.Min(end, partStart + partLines)));
            OutputFile.DeleteStaleTemps(parts[^1].Path);
        }
        DeleteForeignParts(target, parts.Count);

        int layers = settings.Layers == EmbedLayers.All ? elmo.NumLayers : 0;
        var embedder = new SentenceEmbedder(elmo, settings.Layers, settings.BatchSize, settings.MaxBatchTokens, settings.Stateful, tokenMajor: true);
        long total = end - start, done = 0, embedded = 0;
        // Two readers advance through the shard side by side: one counts a part's tokens (PureHDF
        // sizes datasets up front), the other feeds the model; neither holds more than a line.
        using IEnumerator<Sentence> counter = SentenceReader.Read(settings.InputFile, start, end).GetEnumerator();
        using IEnumerator<Sentence> feeder = SentenceReader.Read(settings.InputFile, start, end).GetEnumerator();
        foreach (var part in parts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long sentences = part.End - part.Start;
            long tokens = 0;
            for (long i = 0; i < sentences && counter.MoveNext(); i++) tokens += counter.Current.Tokens.Length;
            var partIdentity = identity with { FirstLine = part.Start, Sentences = sentences, Tokens = tokens };
            if (File.Exists(part.Path) && IsComplete(part.Path, partIdentity, part.Start, part.End))
            {
                for (long i = 0; i < sentences && feeder.MoveNext(); i++) { }
                done += sentences;
                log.WriteLine($"{Path.GetFileName(part.Path)}: lines {part.Start}..{part.End - 1} were embedded by an earlier run; continuing after them.");
                continue;
            }
            if (File.Exists(part.Path)) File.Delete(part.Path);
            OutputFile.WriteAtomically(part.Path, temp =>
            {
                using var writer = new FlatEmbeddingWriter(temp, partIdentity, layers, elmo.OutputDim);
                long before = done;
                embedder.Run(Take(feeder, sentences), (_, values) => writer.Append(values),
                    new SyncProgress(n => progress?.Report(((int)(before + n), (int)total))), cancellationToken);
                writer.Complete();
            });
            done += sentences;
            embedded += sentences;
        }

        FinishTarget(target, identity, parts, cancellationToken);
        return embedded;
    }

    /// <summary>One part becomes the target by a rename; several are joined, then deleted.</summary>
    private static void FinishTarget(string target, EmbeddingMetadata identity, List<(string Path, long Start, long End)> parts, CancellationToken cancellationToken)
    {
        if (parts.Count == 1)
        {
            File.Move(parts[0].Path, target, overwrite: true);
            return;
        }
        var files = parts.Select(p => (FlatEmbeddingFile)EmbeddingFile.OpenSingle(p.Path)).ToList();
        try
        {
            var metadata = identity with { Tokens = files.Sum(f => f.Metadata.Tokens) };
            OutputFile.WriteAtomically(target, temp => FlatFileJoiner.Join(files, metadata, temp, cancellationToken));
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }
        foreach (var part in parts) File.Delete(part.Path);
    }

    private static IEnumerable<Sentence> Take(IEnumerator<Sentence> source, long count)
    {
        for (long i = 0; i < count && source.MoveNext(); i++) yield return source.Current;
    }

    internal static string PartPath(string target, int part) =>
        string.Create(CultureInfo.InvariantCulture, $"{target}.part-{part}.h5");

    /// <summary>
    /// Whether <paramref name="path"/> is a complete flat file made the same way for lines [start, end);
    /// throws when it is an embedding file of something else, so nothing is overwritten.
    /// </summary>
    private bool IsComplete(string path, EmbeddingMetadata identity, long start, long end)
    {
        EmbeddingMetadata existing = OutputFile.ExistingMetadata(path, "embed to another path or delete it");
        IReadOnlyList<string> differences = existing.IdentityDifferences(identity);
        if (existing.FirstLine != start || existing.Sentences != end - start)
            differences = [.. differences, $"lines: {existing.FirstLine}..{existing.FirstLine + existing.Sentences - 1} vs {start}..{end - 1}"];
        if (differences.Count == 0) return true;
        if (path.EndsWith(".h5", StringComparison.Ordinal) && path.Contains(".part-", StringComparison.Ordinal))
        {
            log.WriteLine($"{Path.GetFileName(path)}: a checkpoint of another run ({string.Join("; ", differences)}); starting that part over.");
            return false;
        }
        throw new IOException($"{path} exists from another run and is not overwritten: {string.Join("; ", differences)}. Embed to another path or delete it.");
    }

    private static void CheckNoOtherShardCount(string output, ShardChoice shard)
    {
        var others = ShardFiles.Find(output).Where(s => s.Count != shard.Count).ToList();
        if (others.Count > 0)
            throw new ArgumentException($"--shard-count {shard.Count} disagrees with existing shards of {output}: {string.Join(", ", others.Select(s => Path.GetFileName(s.Path)))} (of {others[0].Count}). Use --shard-count {others[0].Count}, or delete those shards to start over.");
    }

    private void DeleteForeignParts(string target, int parts)
    {
        string directory = Path.GetDirectoryName(target)!;
        string prefix = Path.GetFileName(target) + ".part-";
        foreach (string path in Directory.EnumerateFiles(directory, prefix + "*.h5"))
        {
            string number = Path.GetFileName(path)[prefix.Length..^3];
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= parts)
            {
                log.WriteLine($"{Path.GetFileName(path)}: a checkpoint of a run with other parts; deleted.");
                File.Delete(path);
            }
        }
    }
}
