namespace ElmoKeras.Weights.TensorBundle;

/// <summary>
/// Just enough protobuf wire-format reading for the bundle's header and entries; every length is
/// checked against the remaining bytes.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data, Func<string, Exception> error)
{
    private readonly ReadOnlySpan<byte> data = data;
    private int position;

    public readonly bool AtEnd => position >= data.Length;

    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        if (tag >> 3 is 0 or > int.MaxValue) throw error($"invalid protobuf field number in tag {tag}");
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        Func<string, Exception> fail = error;
        return Varint.Read(data, ref position, message => fail("protobuf " + message));
    }

    public uint ReadFixed32()
    {
        if (position + 4 > data.Length) throw error("truncated protobuf fixed32");
        uint value = BitConverter.ToUInt32(data.Slice(position, 4));
        position += 4;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(data.Length - position)) throw error($"protobuf field of {length} bytes runs past the message");
        ReadOnlySpan<byte> bytes = data.Slice(position, (int)length);
        position += (int)length;
        return bytes;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Advance(8); break;
            case 2: ReadBytes(); break;
            case 5: Advance(4); break;
            default: throw error($"unsupported protobuf wire type {wireType}");
        }
    }

    private void Advance(int count)
    {
        if (position + count > data.Length) throw error("truncated protobuf field");
        position += count;
    }
}
