using ElmoKeras.Elmo;
using ElmoKeras.EmbeddingFiles;

namespace ElmoCli.Embed;

/// <summary>
/// Embeds a text file, one whitespace-tokenised sentence per line, into an HDF5 file: AllenNLP's
/// one-dataset-per-line layout (<see cref="PerSentenceEmbedJob"/>) or the flat layout, whole or as a
/// shard (<see cref="FlatEmbedJob"/>). Both read the input lazily and write as they go.
/// </summary>
internal sealed class EmbedJob(ElmoModel elmo, EmbedSettings settings, TextWriter? log = null)
{
    /// <summary>Runs the job. Outputs appear only when complete; a failure or cancellation leaves none.</summary>
    /// <returns>The number of sentences embedded.</returns>
    public long Run(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (settings.BatchSize <= 0) throw new ArgumentException($"--batch-size must be positive, got {settings.BatchSize}.");
        if (settings.Layout == EmbeddingLayout.PerSentence)
        {
            if (settings.Shard is not null)
                throw new ArgumentException($"Shard {settings.Shard.Index} of {settings.Shard.Count}: shards are written in the flat layout only; add --layout flat (the one-dataset-per-line layout cannot be joined without holding every line's index).");
            if (settings.Float16) throw new ArgumentException("--float16 needs --layout flat (the one-dataset-per-line layout is AllenNLP's float32).");
            return new PerSentenceEmbedJob(elmo, settings).Run(progress, cancellationToken);
        }
        if (settings.UseSentenceKeys || settings.ForgetSentences)
            throw new ArgumentException("--use-sentence-keys and --forget-sentences belong to the one-dataset-per-line layout; the flat layout indexes sentences by line.");
        return new FlatEmbedJob(elmo, settings, log ?? Console.Error).Run(progress, cancellationToken);
    }
}
