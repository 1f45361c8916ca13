using ElmoKeras.Weights;
using ElmoKeras.Weights.TensorBundle;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Weights;

public sealed class TensorBundleReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Checkpoint(string name) => Path.Combine(Fixtures.Root, "tf-checkpoints", name, "variables");

    [Fact]
    public void Crc32CMatchesTheCheckValue() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void MaskingRoundTrips() => Assert.Equal(0x12345678u, Crc32C.Unmask(Crc32C.Mask(0x12345678u)));

    [Theory]
    [InlineData("saved_model_half_plus_two_2_versions")]   // raw index block
    [InlineData("saved_model_half_plus_two_cpu")]          // Snappy index block
    public void ReadsHalfPlusTwo(string name)
    {
        using var reader = TensorBundleReader.Open(Checkpoint(name));
        Assert.Equal([0.5f], reader.ReadFloat32("a"));
        Assert.Equal([2f], reader.ReadFloat32("b"));
        Assert.Equal([3f], reader.ReadFloat32("c"));
        Assert.Empty(reader.Find("a")!.Shape);
    }

    [Fact]
    public void ReadsConvolutionKernelsOfTheMklModel()
    {
        using var reader = TensorBundleReader.Open(Checkpoint("saved_model_half_plus_two_mkl"));
        Assert.Equal(new long[] { 1, 1, 1, 1 }, reader.Find("conv2d/kernel")!.Shape);
        float[] kernels = [reader.ReadFloat32("conv2d/kernel")[0], reader.ReadFloat32("conv2d_1/kernel")[0], reader.ReadFloat32("conv2d_2/kernel")[0]];
        Assert.Equal([-0.52239597f, -1.04511201f, 1.57794321f], kernels);
        WeightArray viaSource = reader.Read("conv2d_2/kernel");
        Assert.Equal(new long[] { 1, 1, 1, 1 }, viaSource.Shape);
    }

    [Fact]
    public void ReadsTf2NamesAndTheObjectGraphString()
    {
        using var reader = TensorBundleReader.Open(Checkpoint("saved_model_half_plus_two_tf2_cpu"));
        Assert.Equal([0.5f], reader.ReadFloat32("a/.ATTRIBUTES/VARIABLE_VALUE"));
        byte[][] graph = reader.ReadByteStrings("_CHECKPOINTABLE_OBJECT_GRAPH");
        Assert.Single(graph);
        // 619 bytes in the file: a 2-byte length varint, the 4-byte length checksum, 613 bytes of string.
        Assert.Equal(619, reader.Find("_CHECKPOINTABLE_OBJECT_GRAPH")!.Size);
        Assert.Equal(613, graph[0].Length);
        Assert.DoesNotContain("_CHECKPOINTABLE_OBJECT_GRAPH", reader.Names);
    }

    [Fact]
    public void ReadsTheCounter()
    {
        using var reader = TensorBundleReader.Open(Checkpoint("saved_model_counter"));
        Assert.Equal([0f], reader.ReadFloat32("counter"));
    }

    [Fact]
    public void WriterOutputRoundTripsAcrossShards()
    {
        string prefix = Path.Combine(dir, "variables", "variables");
        TensorBundleWriter.Write(prefix, [
            new("w", [2, 3], Floats: [1, 2, 3, 4, 5, 6]),
            new("bias", [3], Floats: [-1, 0, 1]),
            new("vocab", [3], Strings: ["a", "ünï", ""]),
            new("z/scalar", [], Floats: [7]),
        ], shards: 3);
        using var reader = TensorBundleReader.Open(Path.Combine(dir, "variables"));
        Assert.Equal([1f, 2, 3, 4, 5, 6], reader.ReadFloat32("w"));
        Assert.Equal(new long[] { 2, 3 }, reader.TryGetShape("w"));
        Assert.Equal(["a", "ünï", ""], reader.ReadStrings("vocab"));
        Assert.Equal([7f], reader.Read("z/scalar").Data);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(dir, "variables"), "variables.data-*").Length);
    }

    private string CopyOf(string name)
    {
        string target = Path.Combine(dir, name);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(Checkpoint(name))) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    [Fact]
    public void FlippedIndexByteFailsTheChecksum()
    {
        string copy = CopyOf("saved_model_half_plus_two_2_versions");
        string index = Path.Combine(copy, "variables.index");
        byte[] bytes = File.ReadAllBytes(index);
        bytes[10] ^= 0xff;
        File.WriteAllBytes(index, bytes);
        var ex = Assert.Throws<WeightFormatException>(() => TensorBundleReader.Open(copy));
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Contains(index, ex.Message);
    }

    [Fact]
    public void WrongMagicIsRejected()
    {
        string copy = CopyOf("saved_model_half_plus_two_2_versions");
        string index = Path.Combine(copy, "variables.index");
        byte[] bytes = File.ReadAllBytes(index);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(index, bytes);
        Assert.Contains("bad magic number", Assert.Throws<WeightFormatException>(() => TensorBundleReader.Open(copy)).Message);
    }

    [Fact]
    public void TruncatedDataFileIsReportedWithTheVariable()
    {
        string copy = CopyOf("saved_model_half_plus_two_2_versions");
        string data = Directory.GetFiles(copy, "variables.data-*").Single();
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..6]);
        using var reader = TensorBundleReader.Open(copy);
        var ex = Assert.Throws<WeightFormatException>(() => reader.ReadFloat32("c"));
        Assert.Contains("variable 'c' claims bytes [8, 12)", ex.Message);
        Assert.Contains("truncated or corrupt", ex.Message);
    }

    [Fact]
    public void CorruptDataFailsTheChecksum()
    {
        string copy = CopyOf("saved_model_half_plus_two_2_versions");
        string data = Directory.GetFiles(copy, "variables.data-*").Single();
        byte[] bytes = File.ReadAllBytes(data);
        bytes[5] ^= 0x40;
        File.WriteAllBytes(data, bytes);
        using var reader = TensorBundleReader.Open(copy);
        Assert.Contains("variable 'b': checksum mismatch", Assert.Throws<WeightFormatException>(() => reader.ReadFloat32("b")).Message);
    }

    [Fact]
    public void EntryWhoseSizeLiesAboutItsShapeIsRejected()
    {
        string prefix = Path.Combine(dir, "lie", "variables");
        TensorBundleWriter.Write(prefix, [new("x", [1000000000], Floats: [1, 2])]);
        using var reader = TensorBundleReader.Open(prefix);
        var ex = Assert.Throws<WeightFormatException>(() => reader.ReadFloat32("x"));
        Assert.Contains("has shape [1000000000] (1000000000 values of 4 bytes) but 8 bytes", ex.Message);
    }

    [Fact]
    public void SnappyHandlesOverlappingCopies()
    {
        // Literal "ab" then a copy of length 6 at offset 2: "abababab".
        byte[] compressed = [8, 0x04, (byte)'a', (byte)'b', (6 - 1) << 2 | 2, 2, 0];
        Assert.Equal("abababab"u8.ToArray(), Snappy.Decompress(compressed, 100, m => new InvalidDataException(m)));
        Assert.Throws<InvalidDataException>(() => Snappy.Decompress([0xff, 0xff, 0xff, 0xff, 0x0f], 100, m => new InvalidDataException(m)));
    }

    [Fact]
    public void MissingCheckpointIsAClearError()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => TensorBundleReader.Open(Path.Combine(dir, "nothing")));
        Assert.Contains("No TensorFlow checkpoint index", ex.Message);
    }
}
