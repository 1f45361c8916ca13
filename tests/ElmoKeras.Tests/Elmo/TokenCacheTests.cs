using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras;
using ElmoKeras.Layers;
using ElmoKeras.Tests.TestSupport;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Elmo;

/// <summary>The cross-batch token cache: exact, bounded, and never stale.</summary>
public sealed class TokenCacheTests : IDisposable
{
    private static readonly string[][] Sentences = Fixtures.ReadSentences().SelectMany(c => c)
        .Select(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();

    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-token-cache-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Embeds the sentences in overlapping batches of 3, then all at once, then reversed.</summary>
    private static List<float[,,]> EmbedInBatches(ElmoModel elmo)
    {
        var batches = Sentences.Chunk(3).Concat(Sentences.Skip(1).Chunk(4)).Append(Sentences).Append(Sentences.Reverse().ToArray());
        var vectors = new List<float[,,]>();
        foreach (string[][] batch in batches)
        {
            using ElmoEmbeddings output = elmo.Embed(batch);
            for (int i = 0; i < batch.Length; i++) vectors.Add(output.GetSentence(i));
        }
        return vectors;
    }

    private static float MaxDifference(IReadOnlyList<float[,,]> expected, IReadOnlyList<float[,,]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        float worst = 0;
        for (int s = 0; s < expected.Count; s++)
        {
            Assert.Equal(expected[s].Length, actual[s].Length);
            foreach (var (e, a) in expected[s].Cast<float>().Zip(actual[s].Cast<float>())) worst = Math.Max(worst, Math.Abs(e - a));
        }
        return worst;
    }

    [Fact]
    public void CachedAndUncachedVectorsAreTheSame()
    {
        using var cached = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var uncached = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        List<float[,,]> expected = EmbedInBatches(uncached), actual = EmbedInBatches(cached);
        float worst = MaxDifference(expected, actual);
        float largest = expected.SelectMany(v => v.Cast<float>()).Max(Math.Abs);
        // Bit for bit: the CNN computes a token the same way in any batch (fixed-size groups), and
        // the cache hands back exactly what it stored.
        Assert.True(worst == 0, $"max |cached - uncached| = {worst:E2} at values up to {largest}");
        TokenCacheStatistics stats = cached.TokenCache;
        // Every token repeats across the batches above, so most lookups must have been served.
        Assert.True(stats.HitRate > 0.5, $"hit rate {stats.HitRate:P1}");
        Assert.Equal(stats.Misses, stats.Count);
        Assert.Equal(new TokenCacheStatistics(0, 0, 0, 0, 0), uncached.TokenCache);
    }

    [Fact]
    public void ASmallCacheEvictsTheLeastRecentlyUsedAndStaysExact()
    {
        using var small = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 8 });
        using var uncached = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        float worst = MaxDifference(EmbedInBatches(uncached), EmbedInBatches(small));
        Assert.True(worst == 0, $"max |cached - uncached| = {worst:E2}");
        TokenCacheStatistics stats = small.TokenCache;
        Assert.Equal(8, stats.Count);
        Assert.True(stats.Evictions > 0);
        // A batch with more new tokens than the capacity keeps only as many as fit.
        Assert.True(stats.Count + stats.Evictions <= stats.Misses);

        // The most recent batch's tokens are the ones kept: "c", "b" and the two boundary tokens hit.
        small.ClearTokenCache();
        using (small.Embed([["a", "b", "c"]])) { }
        long hitsBefore = small.TokenCache.Hits;
        using (small.Embed([["c", "b"]])) { }
        Assert.Equal(hitsBefore + 4, small.TokenCache.Hits);
    }

    [Fact]
    public void TheCacheReturnsExactlyTheVectorsItWasGiven()
    {
        // Vectors that depend on the token alone and the call: a stale or misplaced row shows.
        int calls = 0;
        Tensor Encode(IReadOnlyList<string> tokens, long[] rows)
        {
            calls++;
            return tensor(rows.SelectMany(r => new[] { tokens[(int)r].Length + 0.1f * calls, tokens[(int)r][0] }).ToArray(), [rows.Length, 2]);
        }
        using var cache = new TokenEmbeddingCache(capacity: 3);
        string[] first = ["cat", "a", "house"], second = ["house", "dog", "a"];
        using Tensor one = cache.Lookup(first, rows => Encode(first, rows));
        using Tensor two = cache.Lookup(second, rows => Encode(second, rows));
        Assert.Equal([3.1f, 'c', 1.1f, 'a', 5.1f, 'h'], one.data<float>().ToArray());
        // "house" and "a" come from the first call (x.1), "dog" from the second (x.2).
        Assert.Equal([5.1f, 'h', 3.2f, 'd', 1.1f, 'a'], two.data<float>().ToArray());
        // "cat" was the least recently used, so "dog" took its place.
        Assert.Equal(new TokenCacheStatistics(3, 3, Hits: 2, Misses: 4, Evictions: 1), cache.Statistics);
        cache.Clear();
        using Tensor three = cache.Lookup(second, rows => Encode(second, rows));
        Assert.Equal([5.3f, 'h', 3.3f, 'd', 1.3f, 'a'], three.data<float>().ToArray());
    }

    [Fact]
    public void ForwardWithGradientsBypassesAndClearsTheCache()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using (elmo.Embed(Sentences.Take(3).ToArray())) { }
        Assert.True(elmo.TokenCache.Count > 0);
        long misses = elmo.TokenCache.Misses;
        using (var scope = NewDisposeScope())
        {
            var (layers, _) = elmo.Forward(elmo.CreateBatch(Sentences.Take(3).ToArray()));
            Assert.True(layers.requires_grad);
        }
        Assert.Equal(0, elmo.TokenCache.Count);
        Assert.Equal(misses, elmo.TokenCache.Misses);
    }

    [Fact]
    public void LoadWeightsIntoAFineTunedLayerDropsStaleTokenVectors()
    {
        string[] texts = ["the film was great fun", "awful , boring and long", "I liked it"];
        using var first = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var other = ElmoModel.CreateRandom(first.Options, seed: 7, new ElmoModelSettings { TokenCacheCapacity = 0 });
        using Model target = Build(first), source = Build(other);
        using Tensor before = target.Predict(texts);
        Assert.True(first.TokenCache.Count > 0);

        string weights = Path.Combine(dir, "other.weights.h5");
        source.SaveWeights(weights);
        target.LoadWeights(weights);
        Assert.Equal(0, first.TokenCache.Count);
        using Tensor after = target.Predict(texts), expected = source.Predict(texts);
        Assert.True(before.sub(after).abs().max().item<float>() > 1e-4f, "the loaded weights should change the predictions");
        Assert.True(expected.sub(after).abs().max().item<float>() <= 1e-6f);
    }

    private static Model Build(ElmoModel elmo)
    {
        var input = Keras.Input([1], DType.String);
        var embedding = new ElmoEmbeddingLayer(elmo, trainable: ElmoTrainable.All, name: "elmo").Apply(input);
        var output = new Dense(1, "sigmoid", name: "out").Apply(embedding);
        return new Model(input, output);
    }
}
