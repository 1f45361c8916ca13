namespace ElmoKeras.Weights.TensorBundle;

/// <summary>CRC-32C (Castagnoli), as LevelDB tables and TensorFlow bundles use it, with their masking.</summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78; // reflected
    private const uint MaskDelta = 0xa282ead8;
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Continues a CRC over more bytes (pass the previous result).</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = Table[(c ^ b) & 0xff] ^ (c >> 8);
        return ~c;
    }

    /// <summary>LevelDB's masking, so CRCs of data that holds CRCs stay well distributed.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    public static uint Unmask(uint masked)
    {
        uint rotated = masked - MaskDelta;
        return (rotated >> 17) | (rotated << 15);
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
