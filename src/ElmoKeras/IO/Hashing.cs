using System.Security.Cryptography;

namespace ElmoKeras.IO;

/// <summary>SHA-256 helpers shared by downloads and local sources.</summary>
internal static class Hashing
{
    internal static bool IsSha256Hex(string value) =>
        value.Length == 64 && value.All(char.IsAsciiHexDigit);

    internal static async Task<string> ComputeSha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    internal static bool Matches(string expectedHex, string actualLowerHex) =>
        string.Equals(expectedHex, actualLowerHex, StringComparison.OrdinalIgnoreCase);
}
