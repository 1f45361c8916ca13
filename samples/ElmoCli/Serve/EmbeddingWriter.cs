using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ElmoCli.Serve;

/// <summary>
/// Writes served vectors as JSON or in the binary format (docs/serving.md): "ELMB", uint32 version 1,
/// uint32 count, then per input uint32 rank, rank × uint32 dims and the float32 values, all little-endian.
/// Writes go through the response's pipe and are flushed per input, so a large answer is never
/// held twice in memory.
/// </summary>
internal static class EmbeddingWriter
{
    public const string BinaryContentType = "application/octet-stream";
    public const uint BinaryVersion = 1;
    public static ReadOnlySpan<byte> BinaryMagic => "ELMB"u8;

    /// <summary>Whether the client asked for the binary format.</summary>
    public static bool WantsBinary(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains(BinaryContentType, StringComparison.OrdinalIgnoreCase));

    public static async Task WriteJsonAsync(HttpResponse response, EmbedRequest request, IReadOnlyList<ServedVectors> vectors, string model, CancellationToken cancellationToken)
    {
        response.ContentType = "application/json";
        PipeWriter pipe = response.BodyWriter;
        using var json = new Utf8JsonWriter(pipe);
        json.WriteStartObject();
        json.WriteString("model", model);
        json.WriteString("output", ServedOutputs.Name(request.Output));
        json.WriteStartArray("shapes");
        foreach (ServedVectors v in vectors) WriteInts(json, v.Shape);
        json.WriteEndArray();
        json.WriteStartArray("tokens");
        foreach (string[] sentence in request.Sentences) json.WriteNumberValue(sentence.Length);
        json.WriteEndArray();
        json.WriteNumber("truncated", request.Truncated);
        json.WriteStartArray("embeddings");
        foreach (ServedVectors v in vectors)
        {
            int offset = 0;
            WriteNested(json, v.Values, v.Shape, 0, ref offset);
            await json.FlushAsync(cancellationToken);
            await pipe.FlushAsync(cancellationToken);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    public static async Task WriteBinaryAsync(HttpResponse response, IReadOnlyList<ServedVectors> vectors, CancellationToken cancellationToken)
    {
        response.ContentType = BinaryContentType;
        PipeWriter pipe = response.BodyWriter;
        Span<byte> header = pipe.GetSpan(12);
        BinaryMagic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], BinaryVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)vectors.Count);
        pipe.Advance(12);
        foreach (ServedVectors v in vectors)
        {
            int headerBytes = 4 * (1 + v.Shape.Length);
            Span<byte> shape = pipe.GetSpan(headerBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(shape, (uint)v.Shape.Length);
            for (int i = 0; i < v.Shape.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(shape[(4 * (i + 1))..], (uint)v.Shape[i]);
            pipe.Advance(headerBytes);
            WriteFloats(pipe, v.Values);
            await pipe.FlushAsync(cancellationToken);
        }
    }

    /// <summary>float32 little-endian, whatever the machine's byte order.</summary>
    public static void WriteFloats(IBufferWriter<byte> writer, float[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(writer.GetSpan(4), value);
            writer.Advance(4);
        }
    }

    /// <summary>Base64 of the float32 little-endian bytes (OpenAI's <c>encoding_format: base64</c>).</summary>
    public static string ToBase64(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return Convert.ToBase64String(bytes);
    }

    private static void WriteInts(Utf8JsonWriter json, int[] values)
    {
        json.WriteStartArray();
        foreach (int value in values) json.WriteNumberValue(value);
        json.WriteEndArray();
    }

    private static void WriteNested(Utf8JsonWriter json, float[] values, int[] shape, int dim, ref int offset)
    {
        json.WriteStartArray();
        if (dim == shape.Length - 1)
        {
            for (int i = 0; i < shape[dim]; i++) json.WriteNumberValue(values[offset++]);
        }
        else
        {
            for (int i = 0; i < shape[dim]; i++) WriteNested(json, values, shape, dim + 1, ref offset);
        }
        json.WriteEndArray();
    }
}
