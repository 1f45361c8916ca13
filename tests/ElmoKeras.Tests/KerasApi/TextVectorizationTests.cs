using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras.Layers;
using ElmoKeras.Tests.TestSupport;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.KerasApi;

/// <summary>TextVectorization gives word ids that line up with ELMo's tokens; Concatenate joins them with both masks.</summary>
public class TextVectorizationTests
{
    [Fact]
    public void AdaptRanksTokensByFrequencyWithinMaxTokens()
    {
        var vectorizer = new TextVectorization(maxTokens: 5);
        vectorizer.Adapt(["b a b", "c b a d", "e"]);
        // Padding, [UNK], then b (3), a (2), and of the tokens seen once the first in ordinal order.
        Assert.Equal(["", "[UNK]", "b", "a", "c"], vectorizer.Vocabulary);
        using var scope = NewDisposeScope();
        long[] ids = vectorizer.Invoke([LayerValue.FromStrings(["a  d b", "c"])]).Tensor!.data<long>().ToArray();
        // Split on single spaces as ELMo does (the double space is no token); d is unknown; rows pad with 0.
        Assert.Equal([3L, 1, 2, 4, 0, 0], ids);
    }

    [Fact]
    public void StepsLineUpWithElmoTokenForToken()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        string[] text = ["the cat sat on the mat today", "a dog", ""];
        var vectorizer = new TextVectorization(maxLength: 4);
        vectorizer.Adapt(text);
        using var layer = new ElmoEmbeddingLayer(elmo, ElmoOutput.Elmo, maxTokens: 4);
        using var embedding = new Embedding(vectorizer.VocabularySize, 3, maskZero: true);
        using var scope = NewDisposeScope();
        LayerValue elmoOut = layer.Invoke([LayerValue.FromStrings(text)]);
        LayerValue words = embedding.Invoke([vectorizer.Invoke([LayerValue.FromStrings(text)])]);
        Assert.Equal(elmoOut.Mask!.data<bool>().ToArray(), words.Mask!.data<bool>().ToArray());
        Assert.Equal([true, true, true, true, true, true, false, false, false, false, false, false], words.Mask!.data<bool>().ToArray());

        // Token rows padded with --PAD-- keep their (capped) width on both sides.
        string[][] rows = [["a", "dog", "--PAD--", "--PAD--", "--PAD--", "--PAD--"]];
        LayerValue elmoRows = layer.Invoke([LayerValue.FromTokens(rows)]);
        LayerValue idRows = vectorizer.Invoke([LayerValue.FromTokens(rows)]);
        Assert.Equal(elmoRows.Tensor!.shape[1], idRows.Tensor!.shape[1]);
        Assert.Equal(4, idRows.Tensor!.shape[1]);
    }

    [Fact]
    public void ConcatenateJoinsFeaturesAndAndsTheMasks()
    {
        using var concatenate = new Concatenate();
        using var scope = NewDisposeScope();
        LayerValue a = LayerValue.FromTensor(ones(2, 3, 2), tensor(new[] { true, true, false, true, false, false }, [2, 3]));
        LayerValue b = LayerValue.FromTensor(zeros(2, 3, 1), tensor(new[] { true, false, false, true, true, false }, [2, 3]));
        LayerValue joined = concatenate.Invoke([a, b]);
        Assert.Equal(new long[] { 2, 3, 3 }, joined.Tensor!.shape);
        Assert.Equal([true, false, false, true, false, false], joined.Mask!.data<bool>().ToArray());
        // A mask on one input only is the joined mask (the other's steps are all real).
        LayerValue plain = LayerValue.FromTensor(zeros(2, 3, 1));
        Assert.Equal(a.Mask!.data<bool>().ToArray(), concatenate.Invoke([plain, a]).Mask!.data<bool>().ToArray());
    }

    [Fact]
    public void MisalignedStepsAreAClearError()
    {
        using var concatenate = new Concatenate(name: "join");
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => concatenate.Invoke([LayerValue.FromTensor(zeros(2, 5, 4)), LayerValue.FromTensor(zeros(2, 3, 4))]));
        Assert.Contains("'join'", error.Message);
        Assert.Contains("5, 4) and (", error.Message);
        Assert.Contains("maxLength", error.Message);
    }

    [Fact]
    public void VocabularyMistakesAreClearErrors()
    {
        var vectorizer = new TextVectorization(maxTokens: 4, name: "words");
        var unused = Assert.Throws<InvalidOperationException>(() => vectorizer.Invoke([LayerValue.FromStrings(["a"])]));
        Assert.Contains("'words'", unused.Message);
        Assert.Contains("Adapt", unused.Message);
        Assert.Contains("repeats entry 0", Assert.Throws<ArgumentException>(() => vectorizer.SetVocabulary(["x", "x"])).Message);
        Assert.Contains("room for 2", Assert.Throws<ArgumentException>(() => vectorizer.SetVocabulary(["x", "y", "z"])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorization(maxTokens: 2));
        // A saved Vocabulary (with padding and [UNK] first) loads back as it was.
        vectorizer.SetVocabulary(["", "[UNK]", "x", "y"]);
        Assert.Equal(["", "[UNK]", "x", "y"], vectorizer.Vocabulary);
    }
}
