using System.Security.Cryptography;

namespace ElmoKeras.Weights;

/// <summary>
/// The SHA-256 of a whole weight file, checked before any byte of it is parsed: the only protection
/// for formats that carry no checksum of their own (bilm-tf HDF5 files).
/// </summary>
internal static class WeightFileHash
{
    /// <summary>Does nothing when <paramref name="expectedSha256"/> is null; otherwise hashes the file and compares.</summary>
    /// <exception cref="ArgumentException">The expected hash is not 64 hexadecimal digits.</exception>
    /// <exception cref="WeightFormatException">The file's SHA-256 differs.</exception>
    public static void Verify(string path, string? expectedSha256)
    {
        if (expectedSha256 is null) return;
        string expected = expectedSha256.Trim();
        if (expected.Length != 64 || !expected.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"The expected SHA-256 must be 64 hexadecimal digits, got '{expectedSha256}'.", nameof(expectedSha256));
        using FileStream stream = File.OpenRead(path);
        string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new WeightFormatException($"SHA-256 of '{path}' is {actual}, expected {expected.ToLowerInvariant()}. The file is corrupt or not the one expected; nothing was loaded.") { FilePath = path };
    }

    /// <summary>The SHA-256 of float32 values as stored little-endian, as lowercase hex.</summary>
    public static string OfValues(ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Weight checksums are defined over little-endian float32 bytes.");
        return Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values)));
    }
}
