using System.Diagnostics;
using System.Text.Json.Nodes;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.Elmo;

/// <summary>
/// Issue 12, defect 2: options.json shape errors are typed, sizes are bounded before anything is
/// allocated, and options are checked against the weights before the model is built.
/// </summary>
public sealed class OptionsLimitsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-options-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string WriteOptions(Action<JsonNode> edit)
    {
        JsonNode node = JsonNode.Parse(File.ReadAllText(Fixtures.ElmoOptions))!;
        edit(node);
        string path = Path.Combine(dir, $"options-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("[]", "the top level must be an object")]
    [InlineData("{\"lstm\": 3, \"char_cnn\": {}}", "'lstm' must be an object, got 3")]
    public void MisshapenDocumentsAreTyped(string json, string expected)
    {
        string path = Path.Combine(dir, "options.json");
        File.WriteAllText(path, json);
        var ex = Assert.Throws<ElmoOptionsException>(() => ElmoOptions.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void FilterEntryWithAStringIsTyped()
    {
        string path = WriteOptions(n => n["char_cnn"]!["filters"]![0] = new JsonArray("1", 4));
        var ex = Assert.Throws<ElmoOptionsException>(() => ElmoOptions.Load(path));
        Assert.Contains("'char_cnn.filters[0]' must be a [width, count] pair of integers, got [\"1\",4]", ex.Message);
    }

    [Fact]
    public void RepeatedSettingIsRefused()
    {
        string path = Path.Combine(dir, "options.json");
        File.WriteAllText(path, File.ReadAllText(Fixtures.ElmoOptions).Replace("\"n_layers\": 2", "\"n_layers\": 2, \"n_layers\": 3"));
        var ex = Assert.Throws<ElmoOptionsException>(() => ElmoOptions.Load(path));
        Assert.Contains("'lstm' sets 'n_layers' twice", ex.Message);
    }

    [Theory]
    [InlineData("lstm", "dim", 536870912, "lstm.dim must be at most 65536, got 536870912")]
    [InlineData("lstm", "dim", 100000000, "lstm.dim must be at most 65536")]
    [InlineData("lstm", "n_layers", 100000, "lstm.n_layers must be at most 64, got 100000")]
    [InlineData("char_cnn", "n_highway", 1000000, "char_cnn.n_highway must be at most 64")]
    [InlineData("char_cnn", "max_characters_per_token", 2147483647, "char_cnn.max_characters_per_token must be at most 1024")]
    public void HugeSizesAreRefusedQuicklyWithAShortMessage(string section, string key, int value, string expected)
    {
        string path = WriteOptions(n => n[section]![key] = value);
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<ElmoOptionsException>(() => ElmoModel.Load(path, Fixtures.ElmoWeights));
        Assert.Contains(expected, ex.Message);
        Assert.True(ex.Message.Length < 2000, $"message of {ex.Message.Length} characters");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ParameterCountIsBoundedEvenWhenEachSizeIsAllowed()
    {
        string path = WriteOptions(n =>
        {
            n["lstm"]!["dim"] = 65536;
            n["lstm"]!["projection_dim"] = 65536;
        });
        var ex = Assert.Throws<ElmoOptionsException>(() => ElmoOptions.Load(path));
        Assert.Contains("parameters, more than the 1,000,000,000 allowed", ex.Message);
    }

    [Fact]
    public void OptionsAreCheckedAgainstTheWeightsBeforeTheModelIsAllocated()
    {
        // 4096-wide LSTMs are legal (the original ELMo's) and would need gigabytes; the fixture's
        // weights do not fit them, which must be found from the shapes alone, at once.
        string path = WriteOptions(n =>
        {
            n["lstm"]!["dim"] = 4096;
            n["lstm"]!["projection_dim"] = 4096;
            n["char_cnn"]!["n_highway"] = 60;
        });
        long before = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        // The options are valid on their own; it is the weight file that does not fit them.
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(path, Fixtures.ElmoWeights));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000, "the model was allocated before the check");
        Assert.Contains("does not match the ELMo options", ex.Message);
        Assert.Matches(@"; and \d+ more\.", ex.Message);
        Assert.True(ex.Message.Length < 5000, $"message of {ex.Message.Length} characters");
    }

    [Fact]
    public void NonFiniteClipIsRefused()
    {
        string path = Path.Combine(dir, "options.json");
        File.WriteAllText(path, File.ReadAllText(Fixtures.ElmoOptions).Replace("\"cell_clip\": 3", "\"cell_clip\": 1e39"));
        var ex = Assert.Throws<ElmoOptionsException>(() => ElmoOptions.Load(path));
        Assert.Contains("'lstm.cell_clip' must be a finite number or null", ex.Message);
    }
}
