using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>
/// Features of every example for the layers that can cache them (<see cref="IFeatureCachingLayer"/>)
/// and read the model's inputs directly; computed once per Fit/Evaluate call.
/// </summary>
internal sealed class FeatureCache : IDisposable
{
    private readonly Dictionary<Node, ICachedFeatures> features;

    private FeatureCache(Dictionary<Node, ICachedFeatures> features, bool coversInputs)
    {
        this.features = features;
        CoversInputs = coversInputs;
    }

    /// <summary>Whether every layer reading a model input is cached, so batches need no raw inputs.</summary>
    public bool CoversInputs { get; }

    public static FeatureCache? Create(Model model, BatchSource[] inputs, int batchSize, ILogger logger, CancellationToken cancellationToken)
    {
        var cached = new Dictionary<Node, ICachedFeatures>(ReferenceEqualityComparer.Instance);
        bool covers = true;
        try
        {
            foreach (Node node in model.Nodes)
            {
                int inputIndex = node.Inputs.Count == 1 ? IndexOf(model.Inputs, node.Inputs[0]) : -1;
                bool readsInputs = node.Inputs.Any(t => IndexOf(model.Inputs, t) >= 0);
                if (inputIndex >= 0 && node.Layer is IFeatureCachingLayer { CanCacheFeatures: true } layer)
                {
                    int count = inputs[inputIndex].Count;
                    logger.LogInformation("Layer '{Layer}' is frozen: computing its features once for {Count} examples", node.Layer.Name, count);
                    LayerValue all = inputs[inputIndex].Take(Enumerable.Range(0, count).ToArray(), CPU);
                    cached[node] = layer.ComputeFeatures(all, batchSize, null, cancellationToken);
                }
                else if (readsInputs) covers = false;
            }
        }
        catch
        {
            foreach (ICachedFeatures features in cached.Values) features.Dispose();
            throw;
        }
        return cached.Count == 0 ? null : new FeatureCache(cached, covers);
    }

    /// <summary>Supplies cached nodes' outputs for the examples <paramref name="batch"/>.</summary>
    public Func<Node, LayerValue?> Replacer(int[] batch, bool training) => node =>
    {
        if (!features.TryGetValue(node, out ICachedFeatures? all)) return null;
        return ((IFeatureCachingLayer)node.Layer).CallOnFeatures(all.Take(batch), training);
    };

    public void Dispose()
    {
        foreach (ICachedFeatures cached in features.Values) cached.Dispose();
    }

    private static int IndexOf(IReadOnlyList<KerasTensor> inputs, KerasTensor tensor)
    {
        for (int i = 0; i < inputs.Count; i++) if (ReferenceEquals(inputs[i], tensor)) return i;
        return -1;
    }
}
