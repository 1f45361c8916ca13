using ElmoKeras;
using ElmoKeras.Layers;

namespace ElmoKeras.Tests.KerasApi;

public class SmokeTests
{
    [Fact]
    public void DenseModelLearnsASeparableProblem()
    {
        KerasRandom.SetSeed(1);
        var random = new Random(1);
        var x = new float[200, 2];
        var y = new float[200];
        for (int i = 0; i < 200; i++)
        {
            x[i, 0] = (float)random.NextDouble() * 2 - 1;
            x[i, 1] = (float)random.NextDouble() * 2 - 1;
            y[i] = x[i, 0] + x[i, 1] > 0 ? 1 : 0;
        }
        var input = Keras.Input([2]);
        var hidden = new Dense(8, "relu").Apply(input);
        var output = new Dense(1, "sigmoid").Apply(hidden);
        using var model = new Model(input, output);
        model.Compile("adam", "binary_crossentropy", ["accuracy"], learningRate: 0.05);
        var history = model.Fit(x, y, batchSize: 16, epochs: 20, seed: 3, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0] * 0.5);
        Assert.True(history["accuracy"][^1] > 0.9);
    }
}
