using System.Formats.Tar;
using System.IO.Compression;
using System.CommandLine;
using ElmoCli;
using ElmoCli.Embed;
using ElmoKeras.Elmo;
using PureHDF;
using ElmoKeras.ElmoLayer;
using ElmoKeras.Tests.Data;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;
using ElmoKeras.Weights.Hub;

namespace ElmoKeras.Tests.Weights;

/// <summary>
/// TF Hub modules built from the fixture's HDF5 weights (hub variable names, a 262-row character
/// table, a scalar γ, an extra variable) must load into exactly the model the HDF5 route gives.
/// </summary>
public sealed class HubModuleTests : IDisposable
{
    private static readonly string[][] Sentences = [["The", "cat", "sat", "."], ["Hello"]];
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-hub-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string ToHubName(string name)
    {
        foreach (var (bilm, hub) in new[] { ("/LSTMCell/W_0", "/rnn/lstm_cell/kernel"), ("/LSTMCell/B", "/rnn/lstm_cell/bias"), ("/LSTMCell/W_P_0", "/rnn/lstm_cell/projection/kernel") })
            if (name.EndsWith(bilm, StringComparison.Ordinal)) return "bilm/" + name[..^bilm.Length] + hub;
        return "bilm/" + name;
    }

    private string WriteModule(string name, bool includeMix = true, Func<string, bool>? keep = null, float[]? mixWeights = null)
    {
        string folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "tfhub_module.pb"), [0x08, 0x03]);
        File.WriteAllBytes(Path.Combine(folder, "saved_model.pb"), []);
        using var source = Hdf5WeightSource.Open(Fixtures.ElmoWeights);
        var tensors = new List<TensorBundleWriter.Tensor>();
        foreach (string n in source.Names.Where(n => keep?.Invoke(n) ?? true))
        {
            WeightArray a = source.Read(n);
            tensors.Add(n == "char_embed"
                ? new(ToHubName(n), [262, a.Shape[1]], Floats: [.. new float[a.Shape[1]], .. a.Data])   // with the zero padding row
                : new(ToHubName(n), a.Shape, Floats: a.Data));
        }
        if (includeMix)
        {
            mixWeights ??= [0.1f, 0.2f, -0.3f];
            tensors.Add(new("aggregation/weights", [mixWeights.Length], Floats: mixWeights));
            tensors.Add(new("aggregation/scaling", [], Floats: [1.5f]));
        }
        tensors.Add(new("bilm/RNN_0/RNN/MultiRNNCell/Cell0/rnn/lstm_cell/state_c", [1, 64], Floats: new float[64]));
        TensorBundleWriter.Write(Path.Combine(folder, "variables", "variables"), tensors, shards: 2);
        return folder;
    }

    private static float[] Vectors(ElmoModel elmo)
    {
        using ElmoEmbeddings e = elmo.Embed(Sentences);
        return e.Layers.data<float>().ToArray();
    }

    [Fact]
    public void HubFolderGivesExactlyTheHdf5Model()
    {
        string folder = WriteModule("module");
        using var hdf5 = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var hub = ElmoModel.FromHub(folder);
        Assert.Equal(hdf5.Options, hub.Options);
        Assert.Equal(Vectors(hdf5), Vectors(hub));
        Assert.Equal([0.1f, 0.2f, -0.3f], hub.PretrainedMix!.Weights);
        Assert.Equal(1.5f, hub.PretrainedMix.Gamma);
        using var source = HubModuleWeightSource.Open(folder);
        Assert.Contains("bilm/RNN_0/RNN/MultiRNNCell/Cell0/rnn/lstm_cell/state_c", source.ExtraVariables);
    }

    [Fact]
    public void ExplicitOptionsAreCheckedAgainstTheShapes()
    {
        string folder = WriteModule("module");
        ElmoOptions explicitOptions = ElmoOptions.Load(Fixtures.ElmoOptions);
        using var hub = ElmoModel.FromHub(folder, explicitOptions);
        // Matching options are taken as given, and the weights load as they do without them.
        Assert.Equal(explicitOptions, hub.Options);
        using var hdf5 = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        Assert.Equal(Vectors(hdf5), Vectors(hub));
        var wrong = ElmoOptions.Load(Fixtures.ElmoOptions) with { Lstm = ElmoOptions.Load(Fixtures.ElmoOptions).Lstm with { Dim = 32 } };
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.FromHub(folder, wrong));
        Assert.Contains("W_P_0' has shape [64, 16], expected [32, 16]", ex.Message);
    }

    [Fact]
    public void TheLayerStartsFromTheModulesTrainedMix()
    {
        using var hub = ElmoModel.FromHub(WriteModule("module"));
        using var layer = new ElmoEmbeddingLayer(hub);
        layer.Apply(Keras.Input([1], ElmoKeras.DType.String));
        Assert.Equal([0.1f, 0.2f, -0.3f, 1.5f], layer.Weights.SelectMany(w => w.Parameter.data<float>().ToArray()));
    }

    [Fact]
    public void MissingVariablesAreAllListed()
    {
        string folder = WriteModule("partial", keep: n => !n.StartsWith("CNN_high_1", StringComparison.Ordinal) && n != "CNN_proj/b_proj");
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.FromHub(folder, ElmoOptions.Load(Fixtures.ElmoOptions)));
        Assert.Contains("missing 'CNN_high_1/W_carry'", ex.Message);
        Assert.Contains("missing 'CNN_proj/b_proj'", ex.Message);
        Assert.Contains("5 problems", ex.Message);
    }

    private string Pack(string folder)
    {
        string archive = Path.Combine(dir, "module.tar.gz");
        using (FileStream file = File.Create(archive))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(folder, gzip, includeBaseDirectory: false);
        return archive;
    }

    [Fact]
    public void TarGzModuleLoadsThroughTheCache()
    {
        string archive = Pack(WriteModule("module"));
        string cache = Path.Combine(dir, "cache");
        using var hdf5 = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var hub = ElmoModel.FromHub(archive, cacheDirectory: cache);
        Assert.Equal(Vectors(hdf5), Vectors(hub));
        Assert.True(Directory.Exists(Path.Combine(cache, HubHandleResolver.CacheKey(Path.GetFullPath(archive)))));
    }

    [Fact]
    public async Task UrlHandleDownloadsOnceIntoTfHubsCacheLayout()
    {
        byte[] archive = File.ReadAllBytes(Pack(WriteModule("module")));
        await using var server = new LocalHttpServer();
        server.Map("/google/elmo/2?tf-hub-format=compressed", _ => Reply.Ok(archive));
        string handle = server.Url("/google/elmo/2").ToString();
        string cache = Path.Combine(dir, "tfhub");
        using var hdf5 = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using (var first = await ElmoModel.FromHubAsync(handle, cacheDirectory: cache, cancellationToken: TestContext.Current.CancellationToken))
            Assert.Equal(Vectors(hdf5), Vectors(first));
        using (var second = await ElmoModel.FromHubAsync(handle, cacheDirectory: cache, cancellationToken: TestContext.Current.CancellationToken))
            Assert.Equal(Vectors(hdf5), Vectors(second));
        Assert.Equal(1, server.RequestCount("/google/elmo/2?tf-hub-format=compressed"));
        Assert.True(File.Exists(Path.Combine(cache, HubHandleResolver.CacheKey(handle), "tfhub_module.pb")));
        Assert.Empty(Directory.GetFiles(cache, "*.tar.gz"));
    }

    [Fact]
    public void CacheKeyIsTfHubsSha1OfTheHandle() =>
        Assert.Equal("9bb74bc86f9caffc8c47dd7b33ec4bb354d9602d", HubHandleResolver.CacheKey("https://tfhub.dev/google/elmo/2"));

    [Fact]
    public void NonModuleFolderIsRejected()
    {
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.FromHub(dir));
        Assert.Contains("is not a TF Hub module: it has no variables/variables.index", ex.Message);
    }

    [Fact]
    public async Task EmbedCommandTakesAHubModule()
    {
        string module = WriteModule("module");
        string input = Path.Combine(dir, "input.txt");
        File.WriteAllLines(input, ["a small test", "of the hub route ."]);
        async Task<float[]> Embed(string output, params string[] model)
        {
            var root = new RootCommand();
            root.Subcommands.Add(EmbedCommand.Create());
            var error = new StringWriter();
            Assert.True(await CommandRunner.InvokeAsync(root, ["embed", input, output, "--all", .. model], error) == 0, error.ToString());
            using var file = H5File.OpenRead(output);
            return [.. file.Dataset("0").Read<float[]>(), .. file.Dataset("1").Read<float[]>()];
        }
        float[] viaHub = await Embed(Path.Combine(dir, "hub.hdf5"), "--elmo", module);
        float[] viaFiles = await Embed(Path.Combine(dir, "files.hdf5"), "--options-file", Fixtures.ElmoOptions, "--weight-file", Fixtures.ElmoWeights);
        Assert.Equal(viaFiles, viaHub);
    }

    // Issue 12, defect 4: inference accepts only a complete, consistent set of variables.
    [Theory]
    [InlineData("CNN_high_0/W_carry", "CNN_high_0/b_carry")]
    [InlineData("RNN_0/RNN/MultiRNNCell/Cell1/LSTMCell/W_0", "RNN_0/RNN/MultiRNNCell/Cell1/LSTMCell/B")]
    [InlineData("CNN/W_cnn_2", "CNN/W_cnn_3")]
    public void AMissingVariableIsReportedInsteadOfInferringASmallerModel(string dropped, string leftOver)
    {
        string folder = WriteModule("module", keep: n => n != dropped);
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.FromHub(folder));
        Assert.Contains("would be left unused", ex.Message);
        Assert.Contains(leftOver, ex.Message);
    }

    [Fact]
    public void AMisshapenTrainedMixIsAnErrorNotASilentlyMissingMix()
    {
        string folder = WriteModule("module", mixWeights: [0.1f, 0.2f]);
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.FromHub(folder));
        Assert.Contains("'aggregation/weights' has shape [2], expected [3]", ex.Message);
    }
}
