using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.ElmoLayer;

public class ElmoHeadTests
{
    private static readonly string[][] Sentences = [["The", "cat", "sat", "down", "."], ["Hello", "!"], ["Short"]];

    private static (Tensor Layers, Tensor Mask) Embed(ElmoModel elmo, string[][] sentences)
    {
        using ElmoEmbeddings e = elmo.Embed(sentences);
        return (e.Layers.clone(), e.Mask.clone());
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void DefaultIsTheMaskedMeanOfTheElmoOutput(bool layerNorm, bool includeGamma)
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var head = new ElmoHead(elmo.Options, layerNorm, includeGamma);
        using (no_grad())
        {
            head.Mix.Weights.copy_(tensor(new[] { 0.3f, -1.2f, 0.7f }));
            head.Mix.Gamma.fill_(1.7f);
        }
        var (layers, mask) = Embed(elmo, Sentences);
        using var _ = layers; using var __ = mask;
        using Tensor pooled = head.Compute(ElmoOutput.Default, layers, mask);
        using Tensor mixed = head.Compute(ElmoOutput.Elmo, layers, mask);
        Assert.Equal(new long[] { 3, 32 }, pooled.shape);
        float gamma = includeGamma ? 1f : 1.7f;
        for (int b = 0; b < 3; b++)
        {
            int n = Sentences[b].Length;
            using Tensor expected = mixed[b].narrow(0, 0, n).mean([0]) / gamma;
            using Tensor diff = (expected - pooled[b]).abs().max();
            Assert.True(diff.item<float>() < 1e-5f, $"row {b}: {diff.item<float>()}");
        }
    }

    [Fact]
    public void MixIsGammaTimesSoftmaxWeightedLayers()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var head = new ElmoHead(elmo.Options, layerNorm: false, defaultIncludesGamma: true);
        float[] w = [1f, 0f, -1f];
        using (no_grad()) { head.Mix.Weights.copy_(tensor(w)); head.Mix.Gamma.fill_(0.5f); }
        var (layers, mask) = Embed(elmo, Sentences);
        using var _ = layers; using var __ = mask;
        using Tensor mixed = head.Compute(ElmoOutput.Elmo, layers, mask);
        double z = w.Sum(v => Math.Exp(v));
        float[] s = w.Select(v => (float)(Math.Exp(v) / z)).ToArray();
        float[] l = layers.data<float>().ToArray(), m = mixed.data<float>().ToArray();
        int per = (int)(layers.shape[2] * layers.shape[3]);
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < per; i += 7)
            {
                float expected = 0.5f * (s[0] * l[(b * 3 + 0) * per + i] + s[1] * l[(b * 3 + 1) * per + i] + s[2] * l[(b * 3 + 2) * per + i]);
                Assert.Equal(expected, m[b * per + i], 5);
            }
    }

    [Fact]
    public void SingleLayerOutputsAreTheBiLmLayers()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var head = new ElmoHead(elmo.Options, false, true);
        var (layers, mask) = Embed(elmo, Sentences);
        using var _ = layers; using var __ = mask;
        using Tensor word = head.Compute(ElmoOutput.WordEmb, layers, mask);
        using Tensor one = head.Compute(ElmoOutput.LstmOutputs1, layers, mask);
        using Tensor two = head.Compute(ElmoOutput.LstmOutputs2, layers, mask);
        Assert.Equal(new long[] { 3, 5, 16 }, word.shape);
        Assert.True(word.allclose(layers.select(1, 0).narrow(2, 0, 16), rtol: 0, atol: 0));
        Assert.True(one.allclose(layers.select(1, 1), rtol: 0, atol: 0));
        Assert.True(two.allclose(layers.select(1, 2), rtol: 0, atol: 0));
    }

    [Fact]
    public void PaddedTokenRowsGiveTheSameVectorsAsUnpaddedOnes()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        string[][] padded = ElmoInputs.FromTokens([["a", "b", "--PAD--", "--PAD--"], ["c", "d", "e", ""]]);
        Assert.Equal([["a", "b"], ["c", "d", "e"]], padded);
        using ElmoEmbeddings a = elmo.Embed(padded), b = elmo.Embed([["a", "b"]]);
        using Tensor diff = (a.Layers[0].narrow(1, 0, 2) - b.Layers[0]).abs().max();
        Assert.True(diff.item<float>() < 1e-5f);
    }

    [Fact]
    public void TokensAfterPaddingAreRejectedWithTheirPosition()
    {
        var ex = Assert.Throws<ArgumentException>(() => ElmoInputs.FromTokens([["a", "--PAD--", "b"]]));
        Assert.Contains("row 0 has the real token 'b' at position 2 after padding at position 1", ex.Message);
    }

    [Fact]
    public void SentencesSplitOnSpacesOnlyAndAreCut()
    {
        Assert.Equal([["a", "b\tc", "d"], ["x", "y"]], ElmoInputs.FromSentences(["a  b\tc d ", "x y z"], maxTokens: 3).Select((r, i) => i == 1 ? r.Take(2).ToArray() : r).ToArray());
        Assert.Equal(["x", "y"], ElmoInputs.FromSentences(["x y z"], maxTokens: 2)[0]);
        Assert.Empty(ElmoInputs.FromSentences([""])[0]);
    }
}

public class LayerMeansCacheTests
{
    [Fact]
    public void CachedMeansGiveTheSameDefaultOutputAsTheFullPath()
    {
        string[][] sentences = Fixtures.ReadSentences().SelectMany(c => c).Take(9).Select(s => s.Split(' ')).Append([]).ToArray();
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var head = new ElmoHead(elmo.Options, layerNorm: false, defaultIncludesGamma: true);
        using (no_grad()) { head.Mix.Weights.copy_(tensor(new[] { 0.2f, 0.5f, -0.4f })); head.Mix.Gamma.fill_(1.3f); }

        using Tensor means = LayerMeansCache.Compute(elmo, sentences, batchSize: 4);
        Assert.Equal(new long[] { 10, 3, 32 }, means.shape);
        using Tensor cached = head.FromLayerMeans(means);
        using ElmoEmbeddings full = elmo.Embed(sentences);
        using Tensor direct = head.Compute(ElmoOutput.Default, full.Layers, full.Mask);
        using Tensor diff = (cached - direct).abs().max();
        Assert.True(diff.item<float>() < 1e-6f, $"max |diff| {diff.item<float>():E2}");
        using Tensor emptyRow = cached[9].abs().max();
        Assert.Equal(0f, emptyRow.item<float>());
    }
}
