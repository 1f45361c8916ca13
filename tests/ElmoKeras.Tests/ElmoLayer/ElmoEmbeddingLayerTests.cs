using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras;
using ElmoKeras.Layers;
using ElmoKeras.Tests.TestSupport;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.ElmoLayer;

public class ElmoEmbeddingLayerTests
{
    private static readonly string[] Texts = ["the film was great fun", "awful , boring and long", "I liked it", "no"];
    private static readonly float[] Labels = [1, 0, 1, 0];

    private static (Model Model, ElmoEmbeddingLayer Layer) Build(ElmoModel elmo, ElmoTrainable trainable)
    {
        var input = Keras.Input([1], DType.String);
        var layer = new ElmoEmbeddingLayer(elmo, trainable: trainable);
        var output = new Dense(1, "sigmoid").Apply(layer.Apply(input));
        var model = new Model(input, output);
        model.Compile(new ElmoKeras.Optimizers.Sgd(learningRate: 0.5), new ElmoKeras.Losses.BinaryCrossentropy());
        return (model, layer);
    }

    private static Dictionary<string, float[]> Snapshot(ElmoModel elmo) =>
        elmo.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().data<float>().ToArray());

    [Fact]
    public void AllTrainsEveryElmoWeight()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var before = Snapshot(elmo);
        var (model, layer) = Build(elmo, ElmoTrainable.All);
        using var _ = model;
        Assert.Equal(elmo.Network.parameters().Count() + 2, layer.TrainableWeights.Count);
        model.Fit(Texts, Labels, batchSize: 4, epochs: 1, shuffle: false, verbose: 0);
        var after = Snapshot(elmo);
        // The padding row of the character table has no gradient by construction; every other weight moves.
        var unchanged = before.Keys.Where(k => before[k].SequenceEqual(after[k])).ToList();
        Assert.Empty(unchanged);
    }

    [Fact]
    public void ScalarMixTrainsOnlyTheFourNumbersAndTheHead()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var before = Snapshot(elmo);
        var (model, layer) = Build(elmo, ElmoTrainable.ScalarMix);
        using var _ = model;
        Assert.Equal(["aggregation/weights", "aggregation/scaling"], layer.TrainableWeights.Select(w => w.Name));
        Assert.Equal(4, layer.CountParams());
        float[] mixBefore = layer.Weights.SelectMany(w => w.Parameter.data<float>().ToArray()).ToArray();
        model.Fit(Texts, Labels, batchSize: 4, epochs: 2, shuffle: false, verbose: 0);
        float[] mixAfter = layer.Weights.SelectMany(w => w.Parameter.data<float>().ToArray()).ToArray();
        Assert.NotEqual(mixBefore, mixAfter);
        var after = Snapshot(elmo);
        Assert.All(before.Keys, k => Assert.Equal(before[k], after[k]));
    }

    [Fact]
    public void NoneLeavesElmoAndTheMixUntouched()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var before = Snapshot(elmo);
        var (model, layer) = Build(elmo, ElmoTrainable.None);
        using var _ = model;
        Assert.Empty(layer.TrainableWeights);
        Assert.Equal(4, layer.NonTrainableWeights.Sum(w => w.Parameter.numel()));
        float[] mixBefore = layer.Weights.SelectMany(w => w.Parameter.data<float>().ToArray()).ToArray();
        float[] denseBefore = model.Layers[^1].Weights[0].Parameter.data<float>().ToArray();
        model.Fit(Texts, Labels, batchSize: 4, epochs: 2, verbose: 0);
        Assert.Equal(mixBefore, layer.Weights.SelectMany(w => w.Parameter.data<float>().ToArray()).ToArray());
        Assert.NotEqual(denseBefore, model.Layers[^1].Weights[0].Parameter.data<float>().ToArray());
        var after = Snapshot(elmo);
        Assert.All(before.Keys, k => Assert.Equal(before[k], after[k]));
    }

    [Fact]
    public void PaddedTokenInputGivesTheSameVectorsAndMaskAsUnpadded()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var layer = new ElmoEmbeddingLayer(elmo, ElmoOutput.Elmo);
        var input = Keras.Input([null], DType.String);
        KerasTensor output = layer.Apply(input);
        Assert.Equal([null, null, 32L], output.Shape);
        LayerValue padded = layer.Invoke([LayerValue.FromTokens([["a", "good", "film", "--PAD--", "--PAD--"], ["bad", "--PAD--", "--PAD--", "--PAD--", "--PAD--"]])]);
        LayerValue alone = layer.Invoke([LayerValue.FromTokens([["a", "good", "film"]])]);
        Assert.Equal(new long[] { 2, 5, 32 }, padded.Tensor!.shape);
        Assert.Equal([true, true, true, false, false, true, false, false, false, false], padded.Mask!.data<bool>().ToArray());
        using Tensor diff = (padded.Tensor[0].narrow(0, 0, 3) - alone.Tensor![0]).abs().max();
        Assert.True(diff.item<float>() < 1e-5f);
        using Tensor padding = padded.Tensor[0].narrow(0, 3, 2).abs().max();
        Assert.Equal(0f, padding.item<float>());
    }

    [Fact]
    public void DefaultOutputIsTheMaskedMeanOfTheElmoOutput()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var options = new ElmoLayerOptions { InitialMixWeights = [0.5f, -0.5f, 1f], InitialGamma = 0.7f };
        using var pooled = new ElmoEmbeddingLayer(elmo, ElmoOutput.Default, options: options);
        using var sequence = new ElmoEmbeddingLayer(elmo, ElmoOutput.Elmo, options: options);
        LayerValue a = pooled.Invoke([LayerValue.FromStrings(Texts)]);
        LayerValue b = sequence.Invoke([LayerValue.FromStrings(Texts)]);
        for (int i = 0; i < Texts.Length; i++)
        {
            int n = Texts[i].Split(' ').Length;
            using Tensor mean = b.Tensor![i].narrow(0, 0, n).mean([0]);
            using Tensor diff = (mean - a.Tensor![i]).abs().max();
            Assert.True(diff.item<float>() < 1e-5f, $"row {i}");
        }
    }

    [Fact]
    public void GruOnTheElmoSequenceOutputTrains()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var input = Keras.Input([1], DType.String);
        var sequence = new ElmoEmbeddingLayer(elmo, ElmoOutput.Elmo).Apply(input);
        var recurrent = new Bidirectional(new GRU(8)).Apply(sequence);
        var output = new Dense(1, "sigmoid").Apply(recurrent);
        using var model = new Model(input, output);
        model.Compile("adam", "binary_crossentropy", ["accuracy"]);
        Assert.Equal([null, 16L], recurrent.Shape);
        var history = model.Fit(Texts, Labels, batchSize: 2, epochs: 3, verbose: 0);
        Assert.Equal(3, history["loss"].Count);
        Assert.All(history["loss"], l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public void NumericInputIsRejectedClearly()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var layer = new ElmoEmbeddingLayer(elmo);
        var ex = Assert.Throws<ArgumentException>(() => layer.Apply(Keras.Input([10])));
        Assert.Contains("expects text", ex.Message);
        Assert.Contains("received dtype float32", ex.Message);
    }

    [Fact]
    public void MaxTokensCutsTheInput()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var cut = new ElmoEmbeddingLayer(elmo, ElmoOutput.Elmo, maxTokens: 2);
        LayerValue value = cut.Invoke([LayerValue.FromStrings(["one two three four"])]);
        Assert.Equal(2, value.Tensor!.shape[1]);
    }
}

public class PredictBucketingTests
{
    [Fact]
    public void PredictBatchesTextByLengthButReturnsRowsInInputOrder()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        var input = Keras.Input([1], DType.String);
        var output = new Dense(2).Apply(new ElmoEmbeddingLayer(elmo).Apply(input));
        using var model = new Model(input, output);
        string[] texts = ["a much longer review than the others here", "short", "mid length text", "x y"];
        using Tensor all = model.Predict(texts, batchSize: 2);
        for (int i = 0; i < texts.Length; i++)
        {
            using Tensor one = model.Predict(new[] { texts[i] });
            using Tensor diff = (one[0] - all[i]).abs().max();
            Assert.True(diff.item<float>() < 1e-5f, $"row {i}");
        }
    }
}
