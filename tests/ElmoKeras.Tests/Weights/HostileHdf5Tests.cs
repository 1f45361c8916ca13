using ElmoKeras.Elmo;
using ElmoKeras;
using ElmoKeras.Layers;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.Weights;

/// <summary>
/// Corrupt and hostile HDF5 files (issue 12, defects 1, 6 and 7): group cycles, non-finite values,
/// flipped bits in files ElmoKeras wrote, wrong expected hashes; all fail with WeightFormatException
/// naming the file, and a failed LoadWeights leaves the model untouched.
/// </summary>
public sealed class HostileHdf5Tests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-hostile-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static List<WeightArray> FixtureArrays()
    {
        using var source = Hdf5WeightSource.Open(Fixtures.ElmoWeights);
        return source.Names.Select(source.Read).ToList();
    }

    /// <summary>
    /// The fixture (superblock v0, symbol-table groups) with its first subgroup's symbol-table entry
    /// pointing back at the root group: a cycle.
    /// </summary>
    private string CyclicCopyOfFixture()
    {
        byte[] bytes = File.ReadAllBytes(Fixtures.ElmoWeights);
        const int RootEntry = 56; // the superblock's root symbol-table entry (v0 layout)
        int node = bytes.AsSpan().IndexOf("SNOD"u8);
        Assert.True(node > 0);
        int entry = node + 8;
        Assert.Equal(1, BitConverter.ToInt32(bytes, entry + 16)); // cache type 1: the entry is a group
        // Object header address, cache type and scratch (B-tree and heap) all copied from the root.
        bytes.AsSpan(RootEntry + 8, 32).CopyTo(bytes.AsSpan(entry + 8));
        string path = Path.Combine(dir, "cycle.hdf5");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void GroupCycleIsRefusedInsteadOfRecursingForever()
    {
        string path = CyclicCopyOfFixture();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("points back at an enclosing group", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public void GroupCycleInAKerasWeightFileIsRefused()
    {
        string path = CyclicCopyOfFixture();
        using Model model = TinyModel(seed: 1);
        var ex = Assert.Throws<WeightFormatException>(() => model.LoadWeights(path));
        Assert.Contains("points back at an enclosing group", ex.Message);
    }

    [Fact]
    public void HugeLocalHeapSizeIsRefusedBeforePureHdfAllocatesIt()
    {
        // Found by the fuzzer: a local heap's data segment size is allocated as declared.
        byte[] bytes = File.ReadAllBytes(Fixtures.ElmoWeights);
        int heap = bytes.AsSpan().IndexOf("HEAP\0"u8);
        Assert.True(heap > 0);
        BitConverter.GetBytes(0x7000_0000UL).CopyTo(bytes, heap + 8);
        string path = Path.Combine(dir, "heap.hdf5");
        File.WriteAllBytes(path, bytes);
        long before = GC.GetTotalAllocatedBytes();
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, path));
        Assert.Contains($"at byte {heap}, a local heap declares 1879048192 bytes", ex.Message);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000, "the heap's declared size was allocated");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteWeightsAreRefusedWithDatasetAndIndex(float bad)
    {
        List<WeightArray> arrays = FixtureArrays();
        int index = arrays.FindIndex(a => a.Name == "CNN_proj/W_proj");
        float[] data = (float[])arrays[index].Data.Clone();
        data[37] = bad;
        arrays[index] = arrays[index] with { Data = data };
        string path = Path.Combine(dir, "nan.hdf5");
        Hdf5WeightWriter.Write(path, arrays);

        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("'CNN_proj/W_proj'", ex.Message);
        Assert.Contains("flat index 37 (position [2, 5] of shape [124, 16])", ex.Message);
    }

    [Fact]
    public void RawNaNInABilmTfFileIsRefused()
    {
        // bilm-tf files carry no checksum: corrupt a float of the fixture in place to NaN's bit pattern.
        float[] values = FixtureArrays().Single(a => a.Name == "CNN_proj/b_proj").Data;
        byte[] bytes = File.ReadAllBytes(Fixtures.ElmoWeights);
        byte[] pattern = values.Take(4).SelectMany(BitConverter.GetBytes).ToArray();
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at > 0);
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, at + 8);
        string path = Path.Combine(dir, "raw-nan.hdf5");
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, path));
        Assert.Contains("'CNN_proj/b_proj' holds NaN at flat index 2", ex.Message);
    }

    [Fact]
    public void AFlippedBitInAFileElmoKerasWroteIsDetected()
    {
        // Small datasets sit inside their (checksummed) object header; a large one is stored apart
        // and only its sha256 attribute covers it.
        float[] values = Enumerable.Range(0, 40_000).Select(i => i * 1e-3f).ToArray();
        string path = Path.Combine(dir, "saved.hdf5");
        Hdf5WeightWriter.Write(path, [new WeightArray("group/big", [200, 200], values)]);
        using (Hdf5WeightSource intact = Hdf5WeightSource.Open(path)) Assert.Equal(values, intact.Read("group/big").Data);

        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(values.Skip(1000).Take(4).SelectMany(BitConverter.GetBytes).ToArray());
        Assert.True(at > 0);
        bytes[at + 4] ^= 1; // lowest mantissa bit: still finite, silently different
        File.WriteAllBytes(path, bytes);

        using Hdf5WeightSource source = Hdf5WeightSource.Open(path);
        var ex = Assert.Throws<WeightFormatException>(() => source.Read("group/big"));
        Assert.Contains("'group/big': SHA-256 of its values is", ex.Message);
    }

    [Fact]
    public void AFlippedBitInAnElmoModelSavedByElmoKerasIsDetected()
    {
        string path = Path.Combine(dir, "saved.hdf5");
        Hdf5WeightWriter.Write(path, FixtureArrays());
        using (ElmoModel.Load(Fixtures.ElmoOptions, path)) { } // intact, it loads
        float[] values = FixtureArrays().Single(a => a.Name == "CNN_high_0/b_carry").Data;
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(values.Take(4).SelectMany(BitConverter.GetBytes).ToArray());
        Assert.True(at > 0);
        bytes[at + 4] ^= 1;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, path));
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("OHDR", 20, "object header's checksum does not match")]
    [InlineData("\x89HDF", 40, "superblock's checksum does not match")]
    public void AFlippedMetadataBitInAFileElmoKerasWroteIsRefused(string signature, int into, string expected)
    {
        // PureHDF writes v2 metadata with lookup3 checksums that PureHDF itself does not verify.
        string path = Path.Combine(dir, "tiny.weights.h5");
        using (Model model = TinyModel(seed: 1)) model.SaveWeights(path);
        byte[] bytes = File.ReadAllBytes(path);
        byte[] marker = signature == "\x89HDF" ? [0x89, (byte)'H', (byte)'D', (byte)'F'] : System.Text.Encoding.ASCII.GetBytes(signature);
        int at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0);
        bytes[at + into] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        using Model target = TinyModel(seed: 2);
        var ex = Assert.Throws<WeightFormatException>(() => target.LoadWeights(path));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void ExpectedSha256IsCheckedBeforeLoading()
    {
        string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Fixtures.ElmoWeights)));
        using (ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, settings: null, expectedSha256: actual.ToUpperInvariant())) { }

        string wrong = new('0', 64);
        var ex = Assert.Throws<WeightFormatException>(() => ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, null, wrong));
        Assert.Contains($"SHA-256 of '{Fixtures.ElmoWeights}' is {actual}, expected {wrong}", ex.Message);
        Assert.Throws<ArgumentException>(() => ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, null, "abc"));
    }

    private static Model TinyModel(int seed)
    {
        KerasRandom.SetSeed(seed);
        var input = Keras.Input([3]);
        var output = new Dense(1, "sigmoid").Apply(new Dense(4, "tanh").Apply(input));
        return new Model(input, output, name: "tiny");
    }

    private static readonly float[,] Inputs = { { 0.5f, -1f, 2f }, { -0.25f, 0.75f, 0f } };

    [Fact]
    public void FailedLoadWeightsLeavesPredictionsIdentical()
    {
        string path = Path.Combine(dir, "tiny.weights.h5");
        using Model model = TinyModel(seed: 2);
        float[,] before = model.PredictArray(Inputs);

        // A valid file (checksums and all) whose output kernel holds a NaN: the loader reads the
        // hidden layer's weights first, and before the fix had copied them when it met the NaN.
        Weight last = model.Weights[^2];
        Assert.EndsWith("kernel", last.Path);
        using (Model trained = TinyModel(seed: 1))
        {
            trained.SaveWeights(path);
            List<WeightArray> arrays;
            using (Hdf5WeightSource source = Hdf5WeightSource.Open(path)) arrays = source.Names.Select(source.Read).ToList();
            int index = arrays.FindIndex(a => a.Name == last.Path);
            arrays[index] = arrays[index] with { Data = [float.NaN, .. arrays[index].Data[1..]] };
            Hdf5WeightWriter.Write(path, arrays);
        }

        var ex = Assert.Throws<WeightFormatException>(() => model.LoadWeights(path));
        Assert.Contains($"'{last.Path}' holds NaN at flat index 0", ex.Message);
        Assert.Equal(before, model.PredictArray(Inputs));
    }

    [Fact]
    public void LoadWeightsChecksTheExpectedSha256()
    {
        string path = Path.Combine(dir, "tiny.weights.h5");
        using (Model trained = TinyModel(seed: 1)) trained.SaveWeights(path);
        string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        using Model model = TinyModel(seed: 2);
        float[,] before = model.PredictArray(Inputs);
        var ex = Assert.Throws<WeightFormatException>(() => model.LoadWeights(path, new string('a', 64)));
        Assert.Contains(actual, ex.Message);
        Assert.Equal(before, model.PredictArray(Inputs));
        model.LoadWeights(path, actual);
        Assert.NotEqual(before, model.PredictArray(Inputs));
    }
}
