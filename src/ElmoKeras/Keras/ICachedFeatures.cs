namespace ElmoKeras;

/// <summary>Every example's features from an <see cref="IFeatureCachingLayer"/>; owns their memory.</summary>
internal interface ICachedFeatures : IDisposable
{
    /// <summary>Examples held.</summary>
    int Count { get; }

    /// <summary>The features of examples <paramref name="batch"/> (in that order) as a CPU value, with a mask where they have steps.</summary>
    LayerValue Take(int[] batch);
}
