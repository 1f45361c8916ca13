namespace ElmoKeras.ElmoLayer;

/// <summary>Less common settings of <see cref="ElmoEmbeddingLayer"/>, each defaulting to TF Hub's behaviour.</summary>
public sealed record ElmoLayerOptions
{
    /// <summary>Normalise each layer (masked, over the batch) before the scalar mix, as bilm-tf's <c>do_layer_norm</c>.</summary>
    /// <value>Default: false (TF Hub's module does not).</value>
    public bool LayerNorm { get; init; }

    /// <summary>
    /// Whether the pooled <c>default</c> output is pooled from γ·mix (true) or from the mix without γ
    /// (as DeepPavlov's Hub-compatible clone does). TF Hub does not document it; the graph's node
    /// names suggest γ is inside.
    /// </summary>
    /// <value>Default: true.</value>
    public bool DefaultIncludesGamma { get; init; } = true;

    /// <summary>Initial unnormalised layer weights w (one per layer).</summary>
    /// <value>Default: the model's <see cref="Elmo.ElmoModel.PretrainedMix"/> (a TF Hub module's trained mix), else zeros (an even mix).</value>
    public IReadOnlyList<float>? InitialMixWeights { get; init; }

    /// <summary>Initial γ.</summary>
    /// <value>Default: the model's <see cref="Elmo.ElmoModel.PretrainedMix"/> γ, else 1.</value>
    public float? InitialGamma { get; init; }

    /// <summary>
    /// Let <c>Fit</c>/<c>Evaluate</c> run a frozen bi-LM once per example instead of once per epoch:
    /// the pooled output keeps each layer's token mean, the sequence outputs each token's vectors
    /// (see <see cref="FeatureCacheStorage"/>). Exact in float32; turn it off only to compare or to
    /// save memory.
    /// </summary>
    /// <value>Default: true.</value>
    public bool CacheFeatures { get; init; } = true;

    /// <summary>
    /// The number type of cached per-token features (sequence outputs; the pooled output's small
    /// cache is always float32).
    /// </summary>
    /// <value>Default: <see cref="ElmoFeatureStorage.Float32"/> (exact).</value>
    public ElmoFeatureStorage FeatureCacheStorage { get; init; } = ElmoFeatureStorage.Float32;

    /// <summary>
    /// The largest per-token feature cache kept in memory, in bytes; a larger one is a memory-mapped
    /// file in <see cref="FeatureCacheDirectory"/>, deleted when <c>Fit</c>/<c>Evaluate</c> ends.
    /// The small architecture's <c>elmo</c> output takes 3 KiB per token in float32.
    /// </summary>
    /// <value>Default: 2 GiB.</value>
    public long FeatureCacheMemoryLimit { get; init; } = 2L << 30;

    /// <summary>Folder for feature cache files larger than <see cref="FeatureCacheMemoryLimit"/>.</summary>
    /// <value>Default: <c>ElmoKeras/features</c> under the system's temporary folder.</value>
    public string? FeatureCacheDirectory { get; init; }

    /// <summary>Examples per bi-LM batch when <c>Fit</c> caches a frozen layer's features.</summary>
    /// <value>Default: 64.</value>
    public int CacheBatchSize { get; init; } = 64;

    /// <summary>
    /// Told how far computing cached features has got (examples done, total): (0, total) when a pass
    /// over a data set starts (Fit makes one for the training data and one for the validation data),
    /// then after each batch.
    /// </summary>
    /// <value>Default: none.</value>
    public IProgress<(int Done, int Total)>? CacheProgress { get; init; }

    /// <summary>
    /// What the optimizer's learning rate is multiplied by for the bi-LM's weights when they train
    /// (<see cref="ElmoTrainable.All"/>); the scalar mix and other layers keep the full rate.
    /// Pretrained weights moved at a head's rate forget what they learnt (see docs/quality.md).
    /// </summary>
    /// <value>Default: 1.</value>
    public double BiLmLearningRateScale { get; init; } = 1;

    /// <summary>Dispose the <see cref="Elmo.ElmoModel"/> with the layer.</summary>
    /// <value>Default: false (the caller owns the model).</value>
    public bool OwnsModel { get; init; }
}
