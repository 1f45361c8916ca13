using ElmoKeras.Elmo;
using static TorchSharp.torch;

namespace ElmoKeras.ElmoLayer;

/// <summary>
/// Each example's per-layer token means from a frozen bi-LM, computed once. The pooled
/// <see cref="ElmoOutput.Default"/> output is γ·Σ_j softmax(w)_j·mean_t(h_j): linear in these means,
/// so a model that trains only the scalar mix and what follows it can train on them exactly,
/// paying for the bi-LM once instead of once per epoch.
/// </summary>
internal static class LayerMeansCache
{
    /// <summary>
    /// Per-layer means [N, L, 2P] of <paramref name="sentences"/> on the model's device, computed in
    /// length-bucketed batches without gradients.
    /// </summary>
    public static Tensor Compute(ElmoModel elmo, IReadOnlyList<IReadOnlyList<string>> sentences, int batchSize,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elmo);
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        using var noGrad = no_grad();
        Tensor result = zeros(sentences.Count, elmo.NumLayers, elmo.OutputDim, device: elmo.Device);
        int done = 0;
        progress?.Report((0, sentences.Count));
        foreach (int[] batch in LengthBuckets.Batches(sentences.Select(s => s.Count).ToArray(), batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (layers, mask) = elmo.Forward(elmo.CreateBatch(batch.Select(i => sentences[i]).ToArray()));
            Tensor means = ElmoHead.LayerMeans(layers, mask);
            result.index_copy_(0, tensor(batch.Select(i => (long)i).ToArray(), device: elmo.Device), means);
            done += batch.Length;
            progress?.Report((done, sentences.Count));
        }
        return result;
    }
}
