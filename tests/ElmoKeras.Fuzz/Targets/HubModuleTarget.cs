using ElmoKeras.Elmo;
using ElmoKeras.Tests.Weights;
using ElmoKeras.Weights;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>A TF Hub ELMo module built from the fixture (hub names, 262-row table, trained mix) through <see cref="ElmoModel.FromHub"/>.</summary>
internal sealed class HubModuleTarget : FuzzTarget
{
    private string module = "";
    private byte[] index = [], data = [];
    private float[] reference = [];
    private ScalarMixValues? referenceMix;

    public override string Name => "hub-module";
    public override string Description => "TF Hub module folder → `ElmoModel.FromHub` + `Embed`";
    public override IReadOnlyList<Type> Documented => [typeof(WeightFormatException), typeof(ElmoOptionsException), typeof(ArithmeticException)];

    private static string ToHubName(string name)
    {
        foreach (var (bilm, hub) in new[] { ("/LSTMCell/W_0", "/rnn/lstm_cell/kernel"), ("/LSTMCell/B", "/rnn/lstm_cell/bias"), ("/LSTMCell/W_P_0", "/rnn/lstm_cell/projection/kernel") })
            if (name.EndsWith(bilm, StringComparison.Ordinal)) return "bilm/" + name[..^bilm.Length] + hub;
        return "bilm/" + name;
    }

    public override void Prepare(string workDirectory)
    {
        module = Path.Combine(workDirectory, "module");
        Directory.CreateDirectory(module);
        File.WriteAllBytes(Path.Combine(module, "tfhub_module.pb"), [0x08, 0x03]);
        var tensors = new List<TensorBundleWriter.Tensor>();
        using (var source = Hdf5WeightSource.Open(ElmoFixture.Weights))
            foreach (string n in source.Names)
            {
                WeightArray a = source.Read(n);
                tensors.Add(n == "char_embed" ? new(ToHubName(n), [262, a.Shape[1]], Floats: [.. new float[a.Shape[1]], .. a.Data]) : new(ToHubName(n), a.Shape, Floats: a.Data));
            }
        tensors.Add(new("aggregation/weights", [3], Floats: [0.1f, 0.2f, -0.3f]));
        tensors.Add(new("aggregation/scaling", [], Floats: [1.5f]));
        TensorBundleWriter.Write(Path.Combine(module, "variables", "variables"), tensors);
        index = File.ReadAllBytes(Path.Combine(module, "variables", "variables.index"));
        data = File.ReadAllBytes(Path.Combine(module, "variables", "variables.data-00000-of-00001"));
        using ElmoModel elmo = ElmoModel.FromHub(module);
        reference = ElmoFixture.Embed(elmo);
        referenceMix = elmo.PretrainedMix;
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        bool inIndex = random.Next(2) == 0;
        byte[] mutatedIndex = inIndex ? Mutator.Mutate(index, random, [index.Length - 48, index.Length - 8]) : index;
        byte[] mutatedData = inIndex ? data : Mutator.Mutate(data, random);
        if (mutatedIndex.AsSpan().SequenceEqual(index) && mutatedData.AsSpan().SequenceEqual(data)) return new(Outcome.Unmutated);
        string copy = Path.Combine(caseDirectory, "module");
        Directory.CreateDirectory(Path.Combine(copy, "variables"));
        File.Copy(Path.Combine(module, "tfhub_module.pb"), Path.Combine(copy, "tfhub_module.pb"));
        File.WriteAllBytes(Path.Combine(copy, "variables", "variables.index"), mutatedIndex);
        File.WriteAllBytes(Path.Combine(copy, "variables", "variables.data-00000-of-00001"), mutatedData);
        using ElmoModel elmo = ElmoModel.FromHub(copy);
        CaseResult result = Compare(reference, ElmoFixture.Embed(elmo), "embeddings");
        bool sameMix = elmo.PretrainedMix is { } mix && referenceMix is { } expected && mix.Weights.SequenceEqual(expected.Weights) && mix.Gamma == expected.Gamma;
        return result.Outcome == Outcome.Same && !sameMix ? new(Outcome.Changed, "pretrained mix differs") : result;
    }
}
