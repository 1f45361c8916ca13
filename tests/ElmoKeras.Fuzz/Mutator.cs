namespace ElmoKeras.Fuzz;

/// <summary>
/// Byte-level mutations, deterministic for a given <see cref="Random"/>: bit flips, bytes overwritten
/// with extremes, length and offset fields set to extremes, truncation and appended garbage. The
/// structure-aware targets pass the offsets of fields they know (headers, lengths, data) as
/// <c>hotSpots</c>, where most mutations then land.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] Extremes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];

    public static byte[] Mutate(byte[] input, Random random, IReadOnlyList<int>? hotSpots = null)
    {
        byte[] bytes = (byte[])input.Clone();
        if (bytes.Length == 0) return [.. bytes, (byte)random.Next(256)];
        int Offset() => hotSpots is { Count: > 0 } && random.Next(4) != 0
            ? Math.Clamp(hotSpots[random.Next(hotSpots.Count)] + random.Next(-4, 12), 0, bytes.Length - 1)
            : random.Next(bytes.Length);
        switch (random.Next(7))
        {
            case 0: // one to four bit flips
                for (int i = random.Next(1, 5); i > 0; i--) bytes[Offset()] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // a run of one extreme byte
            {
                int at = Offset(), length = Math.Min(random.Next(1, 9), bytes.Length - at);
                bytes.AsSpan(at, length).Fill(Extremes[random.Next(Extremes.Length)]);
                return bytes;
            }
            case 2: // a little-endian 32/64-bit field set to an extreme
            {
                int width = random.Next(2) == 0 ? 4 : 8, at = Math.Min(Offset(), Math.Max(0, bytes.Length - width));
                ulong value = random.Next(5) switch { 0 => 0, 1 => ulong.MaxValue, 2 => long.MaxValue, 3 => int.MaxValue, _ => (ulong)bytes.Length * 2 };
                for (int i = 0; i < width && at + i < bytes.Length; i++) bytes[at + i] = (byte)(value >> (8 * i));
                return bytes;
            }
            case 3: // truncation
                return bytes[..random.Next(bytes.Length)];
            case 4: // appended garbage
            {
                var garbage = new byte[random.Next(1, 2048)];
                random.NextBytes(garbage);
                return [.. bytes, .. garbage];
            }
            case 5: // random bytes
            {
                int at = Offset(), length = Math.Min(random.Next(1, 17), bytes.Length - at);
                random.NextBytes(bytes.AsSpan(at, length));
                return bytes;
            }
            default: // a block copied over another (duplicated structure, moved offsets)
            {
                int length = Math.Min(random.Next(1, 65), bytes.Length), from = random.Next(bytes.Length - length + 1), to = Math.Min(Offset(), bytes.Length - length);
                bytes.AsSpan(from, length).ToArray().CopyTo(bytes.AsSpan(to));
                return bytes;
            }
        }
    }

    /// <summary>Every offset at which <paramref name="marker"/> occurs: signatures of structures worth aiming at.</summary>
    public static List<int> FindAll(byte[] bytes, ReadOnlySpan<byte> marker)
    {
        var found = new List<int>();
        for (int at = 0; ; at++)
        {
            int next = bytes.AsSpan(at).IndexOf(marker);
            if (next < 0) return found;
            at += next;
            found.Add(at);
        }
    }
}
