namespace ElmoKeras.Weights.TensorBundle;

/// <summary>
/// Decompresses raw Snappy blocks (TensorFlow compresses some SSTable blocks). Every length and
/// offset is checked against the input and the declared output size before use.
/// </summary>
internal static class Snappy
{
    public static byte[] Decompress(ReadOnlySpan<byte> input, long maxLength, Func<string, Exception> error)
    {
        int pos = 0;
        ulong declared = Varint.Read(input, ref pos, error);
        if (declared > (ulong)maxLength) throw error($"Snappy block declares {declared} uncompressed bytes, more than the {maxLength} allowed");
        var output = new byte[declared];
        int written = 0;
        while (pos < input.Length)
        {
            byte tag = input[pos++];
            int length, offset;
            switch (tag & 3)
            {
                case 0:
                    length = (tag >> 2) + 1;
                    if (length > 60)
                    {
                        int bytes = length - 60;
                        if (pos + bytes > input.Length) throw error("truncated Snappy literal length");
                        // Up to four little-endian bytes: read as unsigned 64-bit so 0xFFFFFFFF + 1 cannot wrap.
                        long wide = 0;
                        for (int i = 0; i < bytes; i++) wide |= (long)input[pos + i] << (8 * i);
                        wide += 1;
                        pos += bytes;
                        if (wide > input.Length - pos || wide > output.Length - written) throw error($"Snappy literal of {wide} bytes runs past the block");
                        length = (int)wide;
                    }
                    if (length > input.Length - pos || length > output.Length - written) throw error("Snappy literal runs past the block");
                    input.Slice(pos, length).CopyTo(output.AsSpan(written));
                    pos += length;
                    written += length;
                    continue;
                case 1:
                    if (pos >= input.Length) throw error("truncated Snappy copy");
                    length = 4 + ((tag >> 2) & 7);
                    offset = ((tag >> 5) << 8) | input[pos++];
                    break;
                case 2:
                    if (pos + 2 > input.Length) throw error("truncated Snappy copy");
                    length = (tag >> 2) + 1;
                    offset = input[pos] | (input[pos + 1] << 8);
                    pos += 2;
                    break;
                default:
                    if (pos + 4 > input.Length) throw error("truncated Snappy copy");
                    length = (tag >> 2) + 1;
                    offset = input[pos] | (input[pos + 1] << 8) | (input[pos + 2] << 16) | (input[pos + 3] << 24);
                    pos += 4;
                    break;
            }
            if (offset <= 0 || offset > written || length > output.Length - written) throw error("Snappy copy points outside the output");
            // Copies may overlap their own output (runs), so go byte by byte.
            for (int i = 0; i < length; i++) output[written + i] = output[written - offset + i];
            written += length;
        }
        if (written != output.Length) throw error($"Snappy block produced {written} bytes, declared {output.Length}");
        return output;
    }
}
