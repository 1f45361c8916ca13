using ElmoKeras.Elmo;
using ElmoKeras.Weights;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>bilm-tf HDF5 weights (superblock v0, symbol-table groups) through <see cref="ElmoModel.Load(string, string, ElmoModelSettings?)"/> and Embed.</summary>
internal sealed class Hdf5WeightsTarget : FuzzTarget
{
    private byte[] original = [];
    private List<int> hotSpots = [];
    private float[] reference = [];

    public override string Name => "bilm-hdf5";
    public override string Description => "bilm-tf HDF5 weights → `ElmoModel.Load` + `Embed`";
    public override IReadOnlyList<Type> Documented => [typeof(WeightFormatException), typeof(ElmoOptionsException), typeof(ArithmeticException)];

    public override void Prepare(string workDirectory)
    {
        original = File.ReadAllBytes(ElmoFixture.Weights);
        // Superblock, B-tree nodes, symbol tables, local heaps: where lengths, offsets and links live.
        hotSpots = [.. Enumerable.Range(0, 12).Select(i => i * 8), .. Mutator.FindAll(original, "TREE"u8), .. Mutator.FindAll(original, "SNOD"u8), .. Mutator.FindAll(original, "HEAP"u8)];
        using ElmoModel elmo = ElmoModel.Load(ElmoFixture.Options, ElmoFixture.Weights);
        reference = ElmoFixture.Embed(elmo);
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        byte[] mutated = Mutator.Mutate(original, random, hotSpots);
        if (mutated.AsSpan().SequenceEqual(original)) return new(Outcome.Unmutated);
        string path = Path.Combine(caseDirectory, "weights.hdf5");
        File.WriteAllBytes(path, mutated);
        using ElmoModel elmo = ElmoModel.Load(ElmoFixture.Options, path);
        return Compare(reference, ElmoFixture.Embed(elmo), "embeddings");
    }
}
