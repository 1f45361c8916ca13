namespace ElmoKeras.ElmoLayer;

/// <summary>The number type in which a frozen layer's per-token features are cached (see <see cref="ElmoLayerOptions.FeatureCacheStorage"/>).</summary>
public enum ElmoFeatureStorage
{
    /// <summary>4 bytes per value: training on the cache gives the numbers the bi-LM gives.</summary>
    Float32,
    /// <summary>2 bytes per value: half the memory; values round to about 3 significant digits.</summary>
    Float16,
}
