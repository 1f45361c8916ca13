using System.CommandLine;
using ElmoCli;
using ElmoCli.Embed;
using ElmoKeras.Elmo;
using ElmoKeras;
using ElmoKeras.Layers;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.Elmo;

/// <summary>
/// Finite weights can still overflow (issue 12, "finite values or a clear error"): Embed, elmo embed
/// and Predict refuse to hand out NaN or infinity.
/// </summary>
public sealed class NonFiniteOutputTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-nonfinite-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>The fixture with character embeddings and the first filter scaled by 1e30: finite, but the convolution overflows.</summary>
    private string OverflowingWeights()
    {
        List<WeightArray> arrays;
        using (var source = Hdf5WeightSource.Open(Fixtures.ElmoWeights)) arrays = source.Names.Select(source.Read).ToList();
        for (int i = 0; i < arrays.Count; i++)
            if (arrays[i].Name is "char_embed" or "CNN/W_cnn_0")
                arrays[i] = arrays[i] with { Data = arrays[i].Data.Select(v => v * 1e30f + 1e30f).ToArray() };
        string path = Path.Combine(dir, "overflow.hdf5");
        Hdf5WeightWriter.Write(path, arrays);
        return path;
    }

    [Fact]
    public void EmbedRefusesNonFiniteVectors()
    {
        using ElmoModel elmo = ElmoModel.Load(Fixtures.ElmoOptions, OverflowingWeights());
        var ex = Assert.Throws<ArithmeticException>(() => elmo.Embed([["The", "cat", "sat"]]));
        Assert.Contains("non-finite", ex.Message);
    }

    [Fact]
    public async Task ElmoEmbedWritesNoFileWithNonFiniteVectors()
    {
        string input = Path.Combine(dir, "input.txt"), output = Path.Combine(dir, "out.hdf5");
        File.WriteAllLines(input, ["The cat sat ."]);
        var root = new RootCommand();
        root.Subcommands.Add(EmbedCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, ["embed", input, output, "--all", "--options-file", Fixtures.ElmoOptions, "--weight-file", OverflowingWeights()], error);
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Contains("non-finite", error.ToString());
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void PredictRefusesNonFiniteOutputs()
    {
        KerasRandom.SetSeed(3);
        var input = Keras.Input([3]);
        using var model = new Model(input, new Dense(1).Apply(input), name: "linear");
        string path = Path.Combine(dir, "huge.weights.h5");
        Hdf5WeightWriter.Write(path, model.Weights.Select(w => new WeightArray(w.Path, w.Shape, Enumerable.Repeat(3e38f, (int)w.Shape.Aggregate(1L, (a, b) => a * b)).ToArray())));
        model.LoadWeights(path);
        Assert.Equal(1, model.PredictArray(new float[,] { { 1e-38f, 0f, 0f } }).Length); // finite where the values allow
        var ex = Assert.Throws<ArithmeticException>(() => model.PredictArray(new float[,] { { 1f, 1f, 1f } }));
        Assert.Contains("model 'linear'", ex.Message, StringComparison.OrdinalIgnoreCase);
    }
}
