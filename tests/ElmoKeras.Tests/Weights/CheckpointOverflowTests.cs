using ElmoKeras.Weights;
using ElmoKeras.Weights.TensorBundle;

namespace ElmoKeras.Tests.Weights;

/// <summary>
/// Issue 12, defect 3: lengths and offsets near the integer limits in TensorFlow checkpoints give
/// WeightFormatException naming the file and variable, never ArgumentOutOfRangeException or IOException.
/// </summary>
public sealed class CheckpointOverflowTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("elmokeras-ckpt-overflow-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData(new byte[] { 0xFE, 0xFF, 0xFF, 0x7F })] // 0x7FFFFFFE + 1 = int.MaxValue
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })] // 0xFFFFFFFF + 1 wraps a 32-bit int to 0
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })] // 0x7FFFFFFF + 1 wraps to int.MinValue
    public void SnappyLiteralLengthNearTheLimitIsAnError(byte[] length)
    {
        // Declared length 10, then a literal tag whose length follows in four bytes (tag 63 << 2).
        byte[] block = [10, 0xFC, .. length, 1, 2, 3];
        var ex = Assert.Throws<WeightFormatException>(() => Snappy.Decompress(block, 1000, m => new WeightFormatException(m)));
        Assert.Contains("runs past the block", ex.Message);
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80) { bytes.Add((byte)(value | 0x80)); value >>= 7; }
        bytes.Add((byte)value);
        return bytes.ToArray();
    }

    [Theory]
    [InlineData(long.MaxValue, 0L)]
    [InlineData(long.MaxValue - 3, 2L)]
    [InlineData(16L, (long)int.MaxValue)]
    public void FooterHandleNearTheLimitIsAnError(long offset, long size)
    {
        byte[] handles = [.. Varint(0), .. Varint(0), .. Varint((ulong)offset), .. Varint((ulong)size)];
        byte[] footer = [.. handles, .. new byte[40 - handles.Length], .. BitConverter.GetBytes(0xdb4775248b80fb57UL)];
        string prefix = Path.Combine(dir, "variables");
        File.WriteAllBytes(prefix + ".index", [.. new byte[64], .. footer]);
        var ex = Assert.Throws<WeightFormatException>(() => TensorBundleReader.Open(prefix));
        Assert.Contains(prefix + ".index", ex.Message);
        Assert.Contains("lies outside the", ex.Message);
    }

    [Theory]
    [InlineData(long.MaxValue - 3)]
    [InlineData(long.MaxValue)]
    public void EntryOffsetPlusSizeOverflowIsAnError(long offset)
    {
        string prefix = Path.Combine(dir, "variables");
        TensorBundleWriter.Write(prefix, [new("w", [2], Floats: [1f, 2f])], place: (_, p) => (offset, p.Size));
        using TensorBundleReader reader = TensorBundleReader.Open(prefix);
        var ex = Assert.Throws<WeightFormatException>(() => reader.Read("w"));
        Assert.Contains("variable 'w' claims bytes", ex.Message);
        Assert.Contains("truncated or corrupt", ex.Message);
    }

    [Fact]
    public void StringTensorCountLargerThanItsBytesIsAnError()
    {
        string prefix = Path.Combine(dir, "variables");
        TensorBundleWriter.Write(prefix, [new("s", [1L << 40], Strings: ["a"])]);
        using TensorBundleReader reader = TensorBundleReader.Open(prefix);
        var ex = Assert.Throws<WeightFormatException>(() => reader.ReadStrings("s"));
        Assert.Contains("variable 's' has shape [1099511627776]", ex.Message);
    }

    [Fact]
    public void NonFiniteCheckpointValueIsRefused()
    {
        string prefix = Path.Combine(dir, "variables");
        TensorBundleWriter.Write(prefix, [new("w", [2, 2], Floats: [1f, 2f, float.NegativeInfinity, 4f])]);
        using TensorBundleReader reader = TensorBundleReader.Open(prefix);
        var ex = Assert.Throws<WeightFormatException>(() => reader.Read("w"));
        Assert.Contains("'w' holds -infinity at flat index 2 (position [1, 0] of shape [2, 2])", ex.Message);
    }
}
