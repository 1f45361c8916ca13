using ElmoKeras.Elmo;
using static TorchSharp.torch;

namespace ElmoKeras.ElmoLayer;

/// <summary>
/// Each example's token vectors from a frozen bi-LM, computed once, for the sequence outputs. Only
/// what the output reads is kept: every layer for <see cref="ElmoOutput.Elmo"/> (the scalar mix
/// still trains on them), one layer for the others. The output is then recomputed from the store
/// per batch: the same math as running the bi-LM, without running it.
/// </summary>
internal static class TokenFeaturesCache
{
    /// <summary>Values kept per token for <paramref name="output"/>.</summary>
    public static int Width(ElmoModel elmo, ElmoOutput output) => output switch
    {
        ElmoOutput.Elmo => elmo.NumLayers * elmo.OutputDim,
        ElmoOutput.WordEmb => elmo.Options.Lstm.ProjectionDim,
        ElmoOutput.LstmOutputs1 or ElmoOutput.LstmOutputs2 => elmo.OutputDim,
        _ => throw new ArgumentOutOfRangeException(nameof(output), output, "The pooled output is cached as layer means."),
    };

    /// <summary>Runs the bi-LM over <paramref name="sentences"/> in length-bucketed batches and stores what <paramref name="output"/> reads.</summary>
    public static TokenFeatureStore Compute(ElmoModel elmo, ElmoOutput output, IReadOnlyList<IReadOnlyList<string>> sentences, ElmoLayerOptions options,
        IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        int[] lengths = sentences.Select(s => s.Count).ToArray();
        string directory = options.FeatureCacheDirectory ?? Path.Combine(Path.GetTempPath(), "ElmoKeras", "features");
        var store = new TokenFeatureStore(lengths, Width(elmo, output), options.FeatureCacheStorage, options.FeatureCacheMemoryLimit, directory);
        try
        {
            using var noGrad = no_grad();
            int done = 0;
            progress?.Report((0, sentences.Count));
            foreach (int[] batch in LengthBuckets.Batches(lengths, options.CacheBatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (layers, _) = elmo.Forward(elmo.CreateBatch(batch.Select(i => sentences[i]).ToArray()));   // [B, L, T, 2P]
                Tensor selected = Select(output, layers, elmo.Options.Lstm.ProjectionDim).cpu().contiguous();
                for (int b = 0; b < batch.Length; b++) store.Write(batch[b], selected[b]);
                done += batch.Length;
                progress?.Report((done, sentences.Count));
            }
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The layer's output from a batch read from the store: [B, T, width] and its mask [B, T].</summary>
    public static Tensor Output(ElmoHead head, ElmoOutput output, Tensor features, Tensor mask, int numLayers)
    {
        if (output != ElmoOutput.Elmo) return features;
        using var scope = NewDisposeScope();
        long rows = features.shape[0], steps = features.shape[1], width = features.shape[2] / numLayers;
        Tensor layers = features.view(rows, steps, numLayers, width).permute(0, 2, 1, 3);       // [B, L, T, 2P]
        return head.Compute(ElmoOutput.Elmo, layers, mask).MoveToOuterDisposeScope();
    }

    /// <summary>What <paramref name="output"/> reads of the bi-LM's layers [B, L, T, 2P], token-major: [B, T, width].</summary>
    private static Tensor Select(ElmoOutput output, Tensor layers, int projectionDim) => output switch
    {
        ElmoOutput.Elmo => layers.permute(0, 2, 1, 3).reshape(layers.shape[0], layers.shape[2], -1),
        ElmoOutput.WordEmb => layers.select(1, 0).narrow(2, 0, projectionDim),
        ElmoOutput.LstmOutputs1 => layers.select(1, 1),
        ElmoOutput.LstmOutputs2 => layers.select(1, 2),
        _ => throw new ArgumentOutOfRangeException(nameof(output), output, null),
    };
}
