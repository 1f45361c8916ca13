using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.Elmo;

/// <summary>Every bad input names the file and the problem.</summary>
public sealed class LoadingErrorTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-test-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static List<WeightArray> FixtureArrays()
    {
        using var source = Hdf5WeightSource.Open(Fixtures.ElmoWeights);
        return source.Names.Select(source.Read).ToList();
    }

    [Fact]
    public void MissingFilesAreReportedWithTheirPath()
    {
        string missing = Path.Combine(dir, "nope.hdf5");
        var ex = Assert.Throws<FileNotFoundException>(() => ElmoModel.Load(Fixtures.ElmoOptions, missing));
        Assert.Contains(missing, ex.Message);
        ex = Assert.Throws<FileNotFoundException>(() => ElmoModel.Load(Path.Combine(dir, "options.json"), Fixtures.ElmoWeights));
        Assert.Contains("options.json", ex.Message);
    }

    [Fact]
    public void NonHdf5FileIsRejectedClearly()
    {
        string path = Path.Combine(dir, "weights.hdf5");
        File.WriteAllText(path, "this is not hdf5");
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("not an HDF5 file", ex.Message);
    }

    [Fact]
    public void MissingAndMisshapenDatasetsAreAllListed()
    {
        List<WeightArray> arrays = FixtureArrays();
        arrays.RemoveAll(a => a.Name == "CNN_proj/b_proj");
        int index = arrays.FindIndex(a => a.Name == "CNN/W_cnn_1");
        arrays[index] = arrays[index] with { Shape = [1, 2, 8, 4], Data = new float[64] };
        string path = Path.Combine(dir, "broken.hdf5");
        Hdf5WeightWriter.Write(path, arrays);

        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("missing 'CNN_proj/b_proj' (expected shape [16])", ex.Message);
        Assert.Contains("'CNN/W_cnn_1' has shape [1, 2, 8, 4], expected [1, 2, 4, 8]", ex.Message);
        Assert.Contains("2 problems", ex.Message);
    }

    [Fact]
    public void OptionsThatDoNotMatchTheWeightsListEveryMismatch()
    {
        string options = Path.Combine(dir, "options.json");
        File.WriteAllText(options, File.ReadAllText(Fixtures.ElmoOptions).Replace("\"projection_dim\": 16", "\"projection_dim\": 32"));
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(options, Fixtures.ElmoWeights));
        Assert.Contains("'CNN_proj/W_proj' has shape [124, 16], expected [124, 32]", ex.Message);
        Assert.Contains("RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0", ex.Message);
        Assert.Contains("Check that the options file belongs to this weight file", ex.Message);
    }

    [Theory]
    [InlineData("\"dim\": 64", "\"dim\": \"big\"", "'lstm.dim' must be an integer, got \"big\"")]
    [InlineData("\"n_highway\": 2,", "", "missing required setting 'char_cnn.n_highway'")]
    [InlineData("\"activation\": \"relu\"", "\"activation\": \"swish\"", "'char_cnn.activation' must be \"relu\" or \"tanh\", got \"swish\"")]
    [InlineData("\"n_characters\": 262", "\"n_characters\": 261", "char_cnn.n_characters must be 262")]
    [InlineData("[5, 64]", "[5]", "'char_cnn.filters[4]' must be a [width, count] pair of integers")]
    [InlineData("\"lstm\": {", "\"lstm\": [", "not valid JSON")]
    public void InvalidOptionsNameTheSetting(string find, string replace, string expected)
    {
        string options = Path.Combine(dir, "options.json");
        File.WriteAllText(options, File.ReadAllText(Fixtures.ElmoOptions).Replace(find, replace));
        var ex = Assert.Throws<ElmoOptionsException>(() => ElmoOptions.Load(options));
        Assert.Contains(options, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void SavedModelReloadsWithIdenticalOutputs()
    {
        using var elmo = ElmoModel.CreateRandom(ElmoOptions.Load(Fixtures.ElmoOptions), seed: 7);
        string weights = Path.Combine(dir, "w.hdf5"), options = Path.Combine(dir, "o.json");
        elmo.Save(weights, options);
        using var reloaded = ElmoModel.Load(options, weights);
        string[][] sentences = [["Hello", "world", "!"], ["Two"]];
        using ElmoEmbeddings a = elmo.Embed(sentences), b = reloaded.Embed(sentences);
        Assert.Equal(a.Layers.data<float>().ToArray(), b.Layers.data<float>().ToArray());
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void RandomModelsAreReproducibleFromTheSeed()
    {
        ElmoOptions options = ElmoOptions.Load(Fixtures.ElmoOptions);
        using var a = ElmoModel.CreateRandom(options, seed: 1);
        using var b = ElmoModel.CreateRandom(options, seed: 1);
        using var c = ElmoModel.CreateRandom(options, seed: 2);
        string[][] s = [["same", "input"]];
        using ElmoEmbeddings ea = a.Embed(s), eb = b.Embed(s), ec = c.Embed(s);
        Assert.Equal(ea.Layers.data<float>().ToArray(), eb.Layers.data<float>().ToArray());
        Assert.NotEqual(ea.Layers.data<float>().ToArray(), ec.Layers.data<float>().ToArray());
    }
}
