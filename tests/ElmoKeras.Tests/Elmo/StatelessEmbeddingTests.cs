using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Elmo;

/// <summary>Stateless mode: a sentence's vectors do not depend on its batch, padding or history.</summary>
public class StatelessEmbeddingTests
{
    private static readonly string[][] Sentences = Fixtures.ReadSentences().SelectMany(c => c).Take(8)
        .Select(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();

    private static void AssertClose(float[,,] expected, float[,,] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        Assert.Equal(expected.GetLength(2), actual.GetLength(2));
        float worst = 0;
        foreach (var (e, a) in expected.Cast<float>().Zip(actual.Cast<float>())) worst = Math.Max(worst, Math.Abs(e - a));
        Assert.True(worst <= tolerance, $"max |diff| {worst:E2} > {tolerance:E0}");
    }

    [Fact]
    public void SentenceGetsTheSameVectorsAloneAndInAPaddedBatch()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using ElmoEmbeddings batch = elmo.Embed(Sentences);
        for (int i = 0; i < Sentences.Length; i++)
        {
            using ElmoEmbeddings alone = elmo.Embed([Sentences[i]]);
            AssertClose(alone.GetSentence(0), batch.GetSentence(i));
        }
    }

    [Fact]
    public void ATokensVectorDoesNotDependOnTheOtherTokensOfItsBatch()
    {
        // 1,100 distinct tokens: the character CNN runs them in 18 groups, the last one padded.
        string[][] sentences = Enumerable.Range(0, 22).Select(s => Enumerable.Range(0, 50).Select(t => $"w{s * 50 + t}").ToArray()).ToArray();
        Assert.True(sentences.SelectMany(x => x).Distinct().Count() > 16 * CharCnnEncoder.GroupTokens);
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        using ElmoEmbeddings batch = elmo.Embed(sentences);
        foreach (int i in new[] { 0, 20, 21 })
        {
            using ElmoEmbeddings alone = elmo.Embed([sentences[i]]);
            float[,,] single = alone.GetSentence(0), batched = batch.GetSentence(i);
            AssertClose(single, batched);
            // The token layer (layer 0) is the character CNN's output: the same to the bit.
            for (int t = 0; t < single.GetLength(1); t++)
                for (int d = 0; d < single.GetLength(2); d++)
                    Assert.Equal(single[0, t, d], batched[0, t, d]);
        }
    }

    [Fact]
    public void RepeatedCallsGiveIdenticalVectors()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using ElmoEmbeddings first = elmo.Embed(Sentences);
        using ElmoEmbeddings other = elmo.Embed(Sentences.Reverse().ToArray());
        using ElmoEmbeddings again = elmo.Embed(Sentences);
        for (int i = 0; i < Sentences.Length; i++) AssertClose(first.GetSentence(i), again.GetSentence(i), 0);
    }

    [Fact]
    public void StatefulModelDependsOnHistoryUntilReset()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { Stateful = true });
        string[][] one = [Sentences[0]];
        using ElmoEmbeddings fresh = elmo.Embed(one);
        using ElmoEmbeddings carried = elmo.Embed(one);
        float diff = fresh.GetSentence(0).Cast<float>().Zip(carried.GetSentence(0).Cast<float>()).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(diff > 1e-3f, "the carried state should change the second run's vectors");
        elmo.ResetStates();
        using ElmoEmbeddings reset = elmo.Embed(one);
        AssertClose(fresh.GetSentence(0), reset.GetSentence(0), 0);
    }

    [Fact]
    public void MaskLengthsAndPaddingAreRight()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        string[][] batch = [["a", "b", "c"], ["d"], []];
        using ElmoEmbeddings output = elmo.Embed(batch);
        Assert.Equal([3, 1, 0], output.Lengths);
        Assert.Equal(new long[] { 3, 3, 3, 2 * elmo.Options.Lstm.ProjectionDim }, output.Layers.shape);
        bool[] mask = output.Mask.data<bool>().ToArray();
        Assert.Equal([true, true, true, true, false, false, false, false, false], mask);
        // Padded positions are exactly zero in every layer (the EOS of short rows included).
        using var padded = output.Layers[1].narrow(1, 1, 2);
        Assert.Equal(0f, padded.abs().max().item<float>());
        using var empty = output.Layers[2];
        Assert.Equal(0f, empty.abs().max().item<float>());
        // Real tokens are not zeroed: every real token has a non-zero vector in every layer.
        foreach (var (row, length) in new[] { (0, 3), (1, 1) })
        {
            using var real = output.Layers[row].narrow(1, 0, length);
            using var smallestNorm = real.abs().max(dim: 2).values.min();
            Assert.True(smallestNorm.item<float>() > 0, $"row {row} has a real token whose vector is all zeros");
        }
        Assert.Equal(0, output.GetSentence(2).GetLength(1));
    }

    [Fact]
    public void OverlongTokenEqualsIts48BytePrefix()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using ElmoEmbeddings output = elmo.Embed([["x" + new string('y', 70)], ["x" + new string('y', 47)], ["x" + new string('y', 46)]]);
        AssertClose(output.GetSentence(1), output.GetSentence(0), 0);
        float diff = output.GetSentence(1).Cast<float>().Zip(output.GetSentence(2).Cast<float>()).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(diff > 0, "a token one byte shorter should embed differently");
    }

    [Fact]
    public void NonAsciiTokensEmbedAndDifferFromTheirAsciiLookalikes()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using ElmoEmbeddings output = elmo.Embed([["café", "naïve", "日本語"], ["cafe", "naive", "nihongo"]]);
        float[,,] accented = output.GetSentence(0), plain = output.GetSentence(1);
        Assert.All(accented.Cast<float>(), v => Assert.True(float.IsFinite(v)));
        float diff = accented.Cast<float>().Zip(plain.Cast<float>()).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(diff > 1e-4f);
    }

    [Fact]
    public void RepeatedEmbeddingLeavesNoLiveTensorsBehind()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        for (int i = 0; i < 3; i++) elmo.Embed(Sentences).Dispose();
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++)
        {
            using ElmoEmbeddings output = elmo.Embed(Sentences);
            _ = output.GetSentence(i % Sentences.Length);
        }
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}

public class ComputeTypeTests(ITestOutputHelper output)
{
    [Fact]
    public void BFloat16ModelStaysCloseToFloat32AndReturnsFloat32()
    {
        string[][] sentences = Fixtures.ReadSentences().SelectMany(c => c).Take(6).Select(s => s.Split(' ')).ToArray();
        using var full = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var half = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { ComputeType = TorchSharp.torch.ScalarType.BFloat16 });
        using ElmoEmbeddings a = full.Embed(sentences), b = half.Embed(sentences);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, b.Layers.dtype);
        using var diff = (a.Layers - b.Layers).abs().max();
        using var scale = a.Layers.abs().max();
        output.WriteLine($"bf16 vs fp32: max |diff| {diff.item<float>():E2} (values up to {scale.item<float>():F2})");
        Assert.True(diff.item<float>() < 0.1f, $"max |diff| {diff.item<float>()}");
        Assert.True(diff.item<float>() > 0f, "bf16 should not be bit-identical to fp32");
    }

    [Fact]
    public void UnsupportedComputeTypeIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ElmoModel.CreateRandom(ElmoOptions.Load(Fixtures.ElmoOptions), 0,
            new ElmoModelSettings { ComputeType = TorchSharp.torch.ScalarType.Int32 }));
        Assert.Contains("ComputeType must be Float32, BFloat16 or Float16, got Int32", ex.Message);
    }
}

public class SentenceBoundaryTests
{
    [Fact]
    public void WithoutBoundariesOnlyTheContextualLayersChangeAndPaddingStillDoesNot()
    {
        string[][] sentences = [["The", "cat", "sat", "."], ["Hi"], []];
        using var with = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var without = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { SentenceBoundaries = false });
        using ElmoEmbeddings a = with.Embed(sentences), b = without.Embed(sentences);
        Assert.Equal(a.Layers.shape, b.Layers.shape);
        Assert.Equal(a.Mask.data<bool>().ToArray(), b.Mask.data<bool>().ToArray());
        using var tokenLayerDiff = (a.Layers.select(1, 0) - b.Layers.select(1, 0)).abs().max();
        Assert.Equal(0f, tokenLayerDiff.item<float>());
        using var topDiff = (a.Layers.select(1, 2) - b.Layers.select(1, 2)).abs().max();
        Assert.True(topDiff.item<float>() > 1e-3f, "without BOS/EOS the LSTM layers must differ");
        using ElmoEmbeddings alone = without.Embed([sentences[1]]);
        using var paddingDiff = (alone.Layers[0] - b.Layers[1].narrow(1, 0, 1)).abs().max();
        Assert.True(paddingDiff.item<float>() < 1e-5f);
    }
}
