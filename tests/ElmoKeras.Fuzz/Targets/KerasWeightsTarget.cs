using ElmoKeras;
using ElmoKeras.Layers;
using ElmoKeras.Weights;
using ElmoKeras.Elmo;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>
/// Keras weight files written by <see cref="Model.SaveWeights"/> through <see cref="Model.LoadWeights"/>:
/// a failed load must leave the model's predictions exactly as they were.
/// </summary>
internal sealed class KerasWeightsTarget : FuzzTarget
{
    private static readonly float[,] Inputs = { { 0.5f, -1f, 2f }, { -0.25f, 0.75f, 0f }, { 1f, 1f, 1f } };
    private byte[] original = [];
    private List<int> hotSpots = [];
    private float[] reference = [];

    public override string Name => "keras-weights";
    public override string Description => "`SaveWeights` HDF5 → `Model.LoadWeights` + `Predict`";
    public override IReadOnlyList<Type> Documented => [typeof(WeightFormatException), typeof(ElmoOptionsException), typeof(ArithmeticException)];

    private static Model Build(int seed)
    {
        KerasRandom.SetSeed(seed);
        var input = Keras.Input([3]);
        return new Model(input, new Dense(1, "sigmoid").Apply(new Dense(8, "tanh").Apply(input)), name: "fuzz");
    }

    private static float[] Predict(Model model) => model.PredictArray(Inputs).Cast<float>().ToArray();

    public override void Prepare(string workDirectory)
    {
        string path = Path.Combine(workDirectory, "saved.weights.h5");
        using (Model trained = Build(seed: 1))
        {
            trained.SaveWeights(path);
            reference = Predict(trained);
        }
        original = File.ReadAllBytes(path);
        hotSpots = [.. Enumerable.Range(0, 6).Select(i => i * 8)];
        foreach (string signature in new[] { "OHDR", "OCHK", "BTHD", "BTLF", "FRHP", "FHDB", "GCOL", "TREE", "HEAP", "SNOD" })
            hotSpots.AddRange(Mutator.FindAll(original, System.Text.Encoding.ASCII.GetBytes(signature)));
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        byte[] mutated = Mutator.Mutate(original, random, hotSpots);
        if (mutated.AsSpan().SequenceEqual(original)) return new(Outcome.Unmutated);
        string path = Path.Combine(caseDirectory, "weights.h5");
        File.WriteAllBytes(path, mutated);
        using Model model = Build(seed: 2);
        float[] before = Predict(model);
        try
        {
            model.LoadWeights(path);
        }
        catch (Exception ex)
        {
            CaseResult result = Classify(ex);
            if (!CaseResult.IsAcceptable(result.Outcome)) Console.Error.WriteLine(ex);
            return result.Outcome == Outcome.Refused && !Predict(model).AsSpan().SequenceEqual(before)
                ? new(Outcome.Partial, $"{ex.GetType().Name} after some weights had changed") : result;
        }
        return Compare(reference, Predict(model), "predictions");
    }
}
