using ElmoKeras;
using ElmoKeras.Callbacks;
using ElmoKeras.Layers;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.KerasApi;

public sealed class ModelTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-model-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (float[,] X, float[] Y) Data(int n, int seed)
    {
        var random = new Random(seed);
        var x = new float[n, 3];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 3; j++) x[i, j] = (float)random.NextDouble() * 2 - 1;
            y[i] = x[i, 0] - x[i, 2] > 0 ? 1 : 0;
        }
        return (x, y);
    }

    private static Model Build(int seed)
    {
        KerasRandom.SetSeed(seed);
        var input = Keras.Input([3]);
        var hidden = new Dense(4, "tanh").Apply(input);
        var output = new Dense(1, "sigmoid").Apply(new Dropout(0.1).Apply(hidden));
        var model = new Model(input, output, name: "tiny");
        model.Compile("adam", "binary_crossentropy", ["accuracy", "auc"], learningRate: 0.05);
        return model;
    }

    [Fact]
    public void SeededTrainingIsDeterministic()
    {
        var (x, y) = Data(64, 1);
        using Model a = Build(3), b = Build(3);
        var ha = a.Fit(x, y, batchSize: 8, epochs: 3, seed: 11, verbose: 0);
        var hb = b.Fit(x, y, batchSize: 8, epochs: 3, seed: 11, verbose: 0);
        Assert.Equal(ha["loss"], hb["loss"]);
        Assert.True(ha["auc"][^1] > 0.5);
    }

    [Fact]
    public void SummaryListsLayersShapesAndCounts()
    {
        using Model model = Build(0);
        string text = model.SummaryText();
        Assert.Contains("Model: \"tiny\"", text);
        Assert.Matches(@"input \(InputLayer\)\s+\(None, 3\)\s+0", text);
        Assert.Matches(@"dense \(Dense\)\s+\(None, 4\)\s+16", text);
        Assert.Matches(@"dropout \(Dropout\)\s+\(None, 4\)\s+0", text);
        Assert.Matches(@"dense_1 \(Dense\)\s+\(None, 1\)\s+5", text);
        Assert.Contains("Total params: 21 (84.00 B)", text);
    }

    [Fact]
    public void FrozenLayerMovesToNonTrainableAndDoesNotChange()
    {
        using Model model = Build(0);
        Layer first = model.GetLayer("dense");
        first.Trainable = false;
        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(new float[2, 3], new float[2], verbose: 0));
        Assert.Contains("call Compile() again", ex.Message);
        model.Compile("adam", "binary_crossentropy");
        Assert.Equal(16, model.NonTrainableWeights.Sum(w => w.Parameter.numel()));
        float[] before = first.Weights[0].Parameter.data<float>().ToArray();
        var (x, y) = Data(16, 2);
        model.Fit(x, y, epochs: 2, verbose: 0);
        Assert.Equal(before, first.Weights[0].Parameter.data<float>().ToArray());
    }

    [Fact]
    public void SavedWeightsReloadIntoAFreshModelWithIdenticalPredictions()
    {
        var (x, y) = Data(32, 4);
        using Model trained = Build(1);
        trained.Fit(x, y, epochs: 2, verbose: 0);
        string path = Path.Combine(dir, "w.h5");
        trained.SaveWeights(path);
        using Model fresh = Build(2);
        fresh.LoadWeights(path);
        Assert.Equal(trained.PredictArray(x).Cast<float>(), fresh.PredictArray(x).Cast<float>());
    }

    [Fact]
    public void BatchNormalizationLetsAdamLearnFromTinyOffsetFeaturesAndItsStatisticsReload()
    {
        // Features with a large shared offset and small differences, like a briefly trained ELMo's pooled output.
        var (raw, y) = Data(256, 5);
        var x = new float[256, 3];
        for (int i = 0; i < 256; i++)
            for (int j = 0; j < 3; j++) x[i, j] = 5f + 0.1f * raw[i, j];
        Model Build(int seed)
        {
            KerasRandom.SetSeed(seed);
            var input = Keras.Input([3]);
            var output = new Dense(1, "sigmoid").Apply(new Dense(8, "relu").Apply(new BatchNormalization().Apply(input)));
            var model = new Model(input, output);
            model.Compile("adam", "binary_crossentropy", ["accuracy"], learningRate: 0.01);
            return model;
        }
        using Model trained = Build(1);
        trained.Fit(x, y, batchSize: 16, epochs: 40, seed: 2, verbose: 0);
        // Evaluate runs in inference mode: the moving statistics must have followed the batches.
        double accuracy = trained.Evaluate(x, y)["accuracy"];
        Assert.True(accuracy > 0.9, $"accuracy {accuracy:F3}");

        string path = Path.Combine(dir, "bn.h5");
        trained.SaveWeights(path);
        using Model fresh = Build(9);
        fresh.LoadWeights(path);
        Assert.Equal(trained.PredictArray(x).Cast<float>(), fresh.PredictArray(x).Cast<float>());
    }

    [Fact]
    public void LoadingMismatchedWeightsListsEveryProblem()
    {
        using Model model = Build(1);
        string path = Path.Combine(dir, "other.h5");
        Hdf5WeightWriter.Write(path, [new WeightArray("dense/kernel", [3, 5], new float[15])]);
        var ex = Assert.Throws<WeightFormatException>(() => model.LoadWeights(path));
        Assert.Contains("'dense/kernel' has shape [3, 5], the model needs [3, 4]", ex.Message);
        Assert.Contains("missing 'dense_1/bias'", ex.Message);
    }

    [Fact]
    public void EarlyStoppingStopsAndCheckpointSavesTheBest()
    {
        var (x, y) = Data(48, 5);
        using Model model = Build(1);
        var stop = new EarlyStopping("loss", patience: 0, minDelta: 10);
        string path = Path.Combine(dir, "best-{epoch}.h5");
        var history = model.Fit(x, y, epochs: 10, verbose: 0, callbacks: [stop, new ModelCheckpoint(path, "loss", saveBestOnly: true)]);
        Assert.Equal(2, history["loss"].Count);
        Assert.Equal(1, stop.StoppedEpoch);
        Assert.True(File.Exists(Path.Combine(dir, "best-1.h5")));
        Assert.Equal(history["loss"][1] < history["loss"][0], File.Exists(Path.Combine(dir, "best-2.h5")));
    }

    [Fact]
    public void CancellationStopsBetweenBatches()
    {
        var (x, y) = Data(64, 6);
        using Model model = Build(1);
        using var cancel = new CancellationTokenSource();
        var callback = new CancelAfter(3, cancel);
        Assert.Throws<OperationCanceledException>(() => model.Fit(x, y, batchSize: 8, epochs: 5, verbose: 0, callbacks: [callback], cancellationToken: cancel.Token));
        Assert.Equal(3, callback.Batches);
    }

    private sealed class CancelAfter(int batches, CancellationTokenSource source) : Callback
    {
        public int Batches { get; private set; }
        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (++Batches == batches) source.Cancel();
        }
    }

    [Theory]
    [InlineData("nadam", "binary_crossentropy", "accuracy", "Could not interpret optimizer identifier 'nadam'. Valid names: adam, sgd, adamw, rmsprop")]
    [InlineData("adam", "hinge", "accuracy", "Could not interpret loss identifier 'hinge'")]
    [InlineData("adam", "mse", "f1", "Could not interpret metric identifier 'f1'")]
    public void UnknownNamesAreRejectedWithTheValidOnes(string optimizer, string loss, string metric, string message)
    {
        using Model model = Build(0);
        var ex = Assert.Throws<ArgumentException>(() => model.Compile(optimizer, loss, [metric]));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void BadCallsGiveClearErrors()
    {
        var input = Keras.Input([3]);
        var output = new Dense(1).Apply(input);
        using var model = new Model(input, output);
        Assert.Contains("You must call Compile() before fit()", Assert.Throws<InvalidOperationException>(() => model.Fit(new float[2, 3], new float[2])).Message);
        model.Compile("sgd", "mse");
        Assert.Contains("y has 3 labels but the inputs have 2 examples", Assert.Throws<ArgumentException>(() => model.Fit(new float[2, 3], new float[3], verbose: 0)).Message);
        Assert.Contains("holds text", Assert.Throws<ArgumentException>(() => model.Fit(new[] { "a", "b" }, new float[2], verbose: 0)).Message);
        Assert.Contains("rank 1 data for a rank 2 input", Assert.Throws<ArgumentException>(() => model.Fit(new float[2], new float[2], verbose: 0)).Message);
        Assert.Contains("Unknown activation 'swish'", Assert.Throws<ArgumentException>(() => new Dense(2, "swish")).Message);
        Assert.Contains("expected input with last dimension 3", Assert.Throws<ArgumentException>(() => model.GetLayer("dense").Apply(Keras.Input([5]))).Message);
        Assert.Contains("expects numeric input", Assert.Throws<ArgumentException>(() => new Dense(2).Apply(Keras.Input([1], DType.String))).Message);
    }

    [Fact]
    public void TrainingKeepsNoTensorsAlivePerEpoch()
    {
        var (x, y) = Data(64, 7);
        using Model model = Build(1);
        model.Fit(x, y, batchSize: 8, epochs: 1, verbose: 0);
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.Fit(x, y, batchSize: 8, epochs: 5, verbose: 0);
        long after = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.True(after == before, $"live tensors grew from {before} to {after}");
    }
}
