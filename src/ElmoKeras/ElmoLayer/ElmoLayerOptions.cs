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
    /// Let <c>Fit</c>/<c>Evaluate</c> compute a frozen layer's pooled features once per example
    /// instead of once per epoch. Exact; turn it off only to compare or to save memory.
    /// </summary>
    /// <value>Default: true.</value>
    public bool CacheFeatures { get; init; } = true;

    /// <summary>Examples per bi-LM batch when <c>Fit</c> caches a frozen layer's features.</summary>
    /// <value>Default: 64.</value>
    public int CacheBatchSize { get; init; } = 64;

    /// <summary>Told how far computing cached features has got (examples done, total).</summary>
    /// <value>Default: none.</value>
    public IProgress<(int Done, int Total)>? CacheProgress { get; init; }

    /// <summary>Dispose the <see cref="Elmo.ElmoModel"/> with the layer.</summary>
    /// <value>Default: false (the caller owns the model).</value>
    public bool OwnsModel { get; init; }
}
