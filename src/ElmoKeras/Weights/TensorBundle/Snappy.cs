namespace ElmoKeras.Weights.TensorBundle;

/// <summary>
/// Decompresses raw Snappy blocks (TensorFlow compresses some SSTable blocks) with Snappier, which
/// checks every literal and copy against the input and the output. The declared size is checked
/// against <c>maxLength</c> before anything is allocated, and Snappier's
/// <see cref="InvalidDataException"/> becomes the caller's typed error.
/// </summary>
internal static class Snappy
{
    public static byte[] Decompress(ReadOnlySpan<byte> input, long maxLength, Func<string, Exception> error)
    {
        int declared;
        try
        {
            declared = Snappier.Snappy.GetUncompressedLength(input);
        }
        catch (InvalidDataException e)
        {
            throw error($"Snappy block has no valid uncompressed length ({e.Message.TrimEnd('.')})");
        }
        // Snappier returns a 32-bit length as a (possibly negative) int: 0xFFFFFFFF comes back as -1.
        if (declared < 0 || declared > maxLength)
            throw error($"Snappy block declares {(uint)declared} uncompressed bytes, more than the {maxLength} allowed");
        var output = new byte[declared];
        int written;
        try
        {
            written = Snappier.Snappy.Decompress(input, output);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            // Snappier refuses a literal or copy that runs past the input or the declared output, or
            // a copy whose offset points before the start of the output.
            throw error($"corrupt Snappy block: a literal or copy runs past the block or points outside the output ({e.Message.TrimEnd('.')})");
        }
        if (written != declared) throw error($"Snappy block produced {written} bytes, declared {declared}");
        return output;
    }
}
