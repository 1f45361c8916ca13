using ElmoKeras;
using ElmoKeras.Layers;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.KerasApi;

/// <summary>Each layer against arithmetic done by hand (plain C#) on small inputs.</summary>
public class LayerMathTests
{
    private static LayerValue Value(float[] data, long[] shape, bool[]? mask = null, long[]? maskShape = null) =>
        LayerValue.FromTensor(tensor(data, shape), mask is null ? null : tensor(mask, maskShape!));

    [Fact]
    public void DenseIsActivationOfXTimesKernelPlusBias()
    {
        using var dense = new Dense(2, "relu");
        dense.Apply(Keras.Input([3]));
        using (no_grad())
        {
            dense.Kernel.copy_(tensor(new float[] { 1, -1, 2, 0, -3, 1 }, [3, 2]));
            dense.Bias!.copy_(tensor(new float[] { 0.5f, -0.5f }));
        }
        float[] y = dense.Invoke([Value([1, 2, 3], [1, 3])]).Tensor!.data<float>().ToArray();
        // [1,2,3]·[[1,-1],[2,0],[-3,1]] + [0.5,-0.5] = [1+4-9+0.5, -1+0+3-0.5] = [-3.5, 1.5] -> relu
        Assert.Equal([0f, 1.5f], y);
    }

    [Fact]
    public void BatchNormalizationUsesBatchMomentsInTrainingAndMovingOnesInInference()
    {
        using var norm = new BatchNormalization(momentum: 0.9, epsilon: 0.01);
        norm.Apply(Keras.Input([2]));
        // Feature 0: 1, 3 (mean 2, variance 1); feature 1: 10, 30 (mean 20, variance 100).
        float[] x = [1, 10, 3, 30];
        float[] trained = norm.Invoke([Value(x, [2, 2])], training: true).Tensor!.data<float>().ToArray();
        double s0 = Math.Sqrt(1 + 0.01), s1 = Math.Sqrt(100 + 0.01);
        Assert.Equal([-1 / s0, -10 / s1, 1 / s0, 10 / s1], trained.Select(v => (double)v), new ToleranceComparer(1e-6));
        // moving = 0.9 * initial + 0.1 * batch: mean 0 -> [0.2, 2], variance 1 -> [1.0, 10.9].
        Assert.Equal([0.2, 2.0], norm.MovingMean.data<float>().ToArray().Select(v => (double)v), new ToleranceComparer(1e-6));
        Assert.Equal([1.0, 10.9], norm.MovingVariance.data<float>().ToArray().Select(v => (double)v), new ToleranceComparer(1e-5));
        float[] inferred = norm.Invoke([Value(x, [2, 2])]).Tensor!.data<float>().ToArray();
        double m0 = Math.Sqrt(1.0 + 0.01), m1 = Math.Sqrt(10.9 + 0.01);
        Assert.Equal([(1 - 0.2) / m0, (10 - 2) / m1, (3 - 0.2) / m0, (30 - 2) / m1], inferred.Select(v => (double)v), new ToleranceComparer(1e-5));
    }

    [Fact]
    public void BatchNormalizationLeavesMaskedStepsOutOfTheMoments()
    {
        using var norm = new BatchNormalization(momentum: 0, epsilon: 1e-3);
        norm.Apply(Keras.Input([null, 1]));
        // Two rows of three steps; the 100s are padding.
        var value = Value([1, 3, 100, 5, 100, 100], [2, 3, 1], [true, true, false, true, false, false], [2, 3]);
        LayerValue result = norm.Invoke([value], training: true);
        // Moments of 1, 3, 5 only: mean 3, variance 8/3; momentum 0 makes the moving values exactly those.
        Assert.Equal(3.0, norm.MovingMean.data<float>()[0], 5);
        Assert.Equal(8.0 / 3, norm.MovingVariance.data<float>()[0], 5);
        Assert.Equal([true, true, false, true, false, false], result.Mask!.data<bool>().ToArray());
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double value) => 0;
    }

    [Fact]
    public void AveragePoolingCountsOnlyMaskedSteps()
    {
        using var pool = new GlobalAveragePooling1D();
        float[] x = [1, 2, 3, 4, 100, 100, 5, 6, 7, 8, 9, 10];
        var value = Value(x, [2, 3, 2], [true, true, false, true, true, true], [2, 3]);
        Assert.Equal([2f, 3f, 7f, 8f], pool.Invoke([value]).Tensor!.data<float>().ToArray());
    }

    [Fact]
    public void MaxPoolingIgnoresMaskedSteps()
    {
        using var pool = new GlobalMaxPooling1D();
        var value = Value([1, 9, 3, 4, 100, 100], [1, 3, 2], [true, true, false], [1, 3]);
        Assert.Equal([3f, 9f], pool.Invoke([value]).Tensor!.data<float>().ToArray());
    }

    [Fact]
    public void EmbeddingLooksUpRowsAndMasksZero()
    {
        using var embedding = new Embedding(4, 2, maskZero: true);
        embedding.Apply(Keras.Input([null], DType.Int64));
        using (no_grad()) embedding.Embeddings.copy_(tensor(new float[] { 0, 0, 1, 2, 3, 4, 5, 6 }, [4, 2]));
        LayerValue result = embedding.Invoke([LayerValue.FromTensor(tensor(new long[] { 2, 3, 0 }, [1, 3]))]);
        Assert.Equal([3f, 4, 5, 6, 0, 0], result.Tensor!.data<float>().ToArray());
        Assert.Equal([true, true, false], result.Mask!.data<bool>().ToArray());
        var ex = Assert.Throws<ArgumentException>(() => embedding.Invoke([LayerValue.FromTensor(tensor(new long[] { 4 }, [1, 1]))]));
        Assert.Contains("ids must be in [0, 3]", ex.Message);
    }

    [Fact]
    public void LstmStepsMatchTheEquationsByHand()
    {
        using var lstm = new LSTM(1, returnSequences: true);
        lstm.Apply(Keras.Input([null, 1]));
        var w = lstm.Weights.ToDictionary(w => w.Name, w => w.Parameter.data<float>().ToArray());
        float[] xs = [0.5f, -1f];
        LayerValue result = lstm.Invoke([Value(xs, [1, 2, 1])]);
        // PyTorch gate order i, f, g, o; two biases.
        float h = 0, c = 0;
        var expected = new List<float>();
        foreach (float x in xs)
        {
            float Gate(int k) => w["weight_ih_l0"][k] * x + w["weight_hh_l0"][k] * h + w["bias_ih_l0"][k] + w["bias_hh_l0"][k];
            float i = Sigmoid(Gate(0)), f = Sigmoid(Gate(1)), g = MathF.Tanh(Gate(2)), o = Sigmoid(Gate(3));
            c = f * c + i * g;
            h = o * MathF.Tanh(c);
            expected.Add(h);
        }
        float[] actual = result.Tensor!.data<float>().ToArray();
        for (int t = 0; t < 2; t++) Assert.Equal(expected[t], actual[t], 5);
        static float Sigmoid(float z) => 1 / (1 + MathF.Exp(-z));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BidirectionalGivesPaddedRowsTheSameResultAsUnpadded(bool lstm)
    {
        using var layer = new Bidirectional(lstm ? new LSTM(3, returnSequences: true) : new GRU(3, returnSequences: true));
        layer.Apply(Keras.Input([null, 2]));
        float[] row = [0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f];
        LayerValue alone = layer.Invoke([Value(row, [1, 3, 2])]);
        LayerValue padded = layer.Invoke([Value([.. row, 9, 9, 9, 9], [1, 5, 2], [true, true, true, false, false], [1, 5])]);
        float[] a = alone.Tensor!.data<float>().ToArray(), b = padded.Tensor!.data<float>().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
        Assert.All(b[a.Length..], v => Assert.Equal(0f, v));
        Assert.Equal([true, true, true, false, false], padded.Mask!.data<bool>().ToArray());
    }

    [Fact]
    public void LastStateOfAPaddedRowIsItsLastRealStep()
    {
        using var gru = new GRU(2);
        gru.Apply(Keras.Input([null, 1]));
        LayerValue alone = gru.Invoke([Value([1, 2], [1, 2, 1])]);
        LayerValue padded = gru.Invoke([Value([1, 2, 50, 50], [1, 4, 1], [true, true, false, false], [1, 4])]);
        float[] a = alone.Tensor!.data<float>().ToArray(), b = padded.Tensor!.data<float>().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
    }

    [Fact]
    public void ConcatenateJoinsTheLastAxis()
    {
        using var concat = new Concatenate();
        var a = Keras.Input([2]);
        var b = Keras.Input([1]);
        Assert.Equal([null, 3L], concat.Apply(a, b).Shape);
        Assert.Equal([1f, 2, 3], concat.Invoke([Value([1, 2], [1, 2]), Value([3], [1, 1])]).Tensor!.data<float>().ToArray());
    }

    [Fact]
    public void DropoutIsIdentityOutsideTrainingAndScalesInside()
    {
        using var dropout = new Dropout(0.5);
        var x = Value(Enumerable.Repeat(1f, 1000).ToArray(), [1, 1000]);
        Assert.All(dropout.Invoke([x]).Tensor!.data<float>().ToArray(), v => Assert.Equal(1f, v));
        float[] trained = dropout.Invoke([x], training: true).Tensor!.data<float>().ToArray();
        Assert.All(trained, v => Assert.True(v == 0f || v == 2f));
        Assert.InRange(trained.Count(v => v == 0f), 350, 650);
    }

    [Fact]
    public void ALayerFirstCalledInsideACallersDisposeScopeKeepsItsWeights()
    {
        // bench's training mode calls the layer inside its own scope per batch; the weights that the
        // first call builds must outlive that scope.
        using var dense = new Dense(3, useBias: true);
        float[] first, second;
        using (NewDisposeScope())
            first = dense.Invoke([LayerValue.FromTensor(ones(2, 4))]).Tensor!.data<float>().ToArray();
        Assert.False(dense.Kernel.IsInvalid);
        using (NewDisposeScope())
            second = dense.Invoke([LayerValue.FromTensor(ones(2, 4))]).Tensor!.data<float>().ToArray();
        Assert.Equal(first, second);
    }
}
