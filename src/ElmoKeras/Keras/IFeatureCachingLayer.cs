namespace ElmoKeras;

/// <summary>
/// A layer whose output, while it is frozen, is a fixed function of per-example features that are
/// cheap to store and from which the output is cheap to recompute. <see cref="Model.Fit"/> then
/// computes the features once for the whole dataset and runs only the rest of the graph per epoch.
/// </summary>
internal interface IFeatureCachingLayer
{
    /// <summary>Whether caching is exact for the layer's current settings.</summary>
    bool CanCacheFeatures { get; }

    /// <summary>Features of every example in <paramref name="input"/>, computed without gradient.</summary>
    ICachedFeatures ComputeFeatures(LayerValue input, int batchSize, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken);

    /// <summary>The layer's output from a batch of features (recording gradients for the layer's trainable weights).</summary>
    LayerValue CallOnFeatures(LayerValue features, bool training);
}
