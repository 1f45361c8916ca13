using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;
using ElmoKeras;
using ElmoKeras.Tests.Batching;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Serve;

/// <summary>elmo serve's endpoints give the library's vectors, in JSON, binary and OpenAI form.</summary>
public sealed class ServeEndpointTests : IAsyncLifetime
{
    private static readonly string[] Texts = Fixtures.ReadSentences()[0].Take(4).ToArray();
    private ServeTestServer server = null!;
    private ElmoModel reference = null!;

    public async ValueTask InitializeAsync()
    {
        server = await ServeTestServer.StartAsync();
        reference = ServeTestServer.LoadFixture();
    }

    public async ValueTask DisposeAsync()
    {
        reference.Dispose();
        await server.DisposeAsync();
    }

    private float[,,] Alone(string text)
    {
        using ElmoEmbeddings output = reference.Embed([text.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        return output.GetSentence(0);
    }

    private static float[] Flatten(JsonElement nested) => nested.ValueKind == JsonValueKind.Array
        ? nested.EnumerateArray().SelectMany(Flatten).ToArray()
        : [nested.GetSingle()];

    private static int[] Shape(JsonElement shape) => shape.EnumerateArray().Select(d => d.GetInt32()).ToArray();

    private static float MaxDifference(IEnumerable<float> expected, float[] actual)
    {
        float[] e = expected.ToArray();
        Assert.Equal(e.Length, actual.Length);
        return e.Zip(actual).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
    }

    [Fact]
    public async Task AllLayersEqualTheLibrarysVectorsForEachSentenceAlone()
    {
        JsonElement answer = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = Texts, output = "all" }));
        Assert.Equal("all", answer.GetProperty("output").GetString());
        JsonElement[] embeddings = answer.GetProperty("embeddings").EnumerateArray().ToArray();
        Assert.Equal(Texts.Length, embeddings.Length);
        for (int i = 0; i < Texts.Length; i++)
        {
            float[,,] expected = Alone(Texts[i]);
            Assert.Equal([expected.GetLength(0), expected.GetLength(1), expected.GetLength(2)], Shape(answer.GetProperty("shapes")[i]));
            Assert.Equal(expected.GetLength(1), answer.GetProperty("tokens")[i].GetInt32());
            Assert.True(MaxDifference(expected.Cast<float>(), Flatten(embeddings[i])) <= 1e-5f, $"input {i}");
        }
    }

    [Fact]
    public async Task DefaultEqualsTheKerasLayersPooledOutputAndTokenRowsEqualStrings()
    {
        using var layer = new ElmoEmbeddingLayer(reference);
        LayerValue output = layer.Invoke([LayerValue.FromStrings(Texts)]);
        float[] expected = output.Tensor!.data<float>().ToArray();
        int width = reference.OutputDim;
        JsonElement answer = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = Texts }));
        Assert.Equal("default", answer.GetProperty("output").GetString());
        float[] served = answer.GetProperty("embeddings").EnumerateArray().SelectMany(Flatten).ToArray();
        Assert.True(MaxDifference(expected, served) <= 1e-5f);
        Assert.Equal([width], Shape(answer.GetProperty("shapes")[0]));

        // The tokens signature, padded at the end, gives the same vectors.
        string[][] rows = Texts.Select(t => t.Split(' ').Concat(["--PAD--", ""]).ToArray()).ToArray();
        JsonElement tokens = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = rows }));
        Assert.True(MaxDifference(served, tokens.GetProperty("embeddings").EnumerateArray().SelectMany(Flatten).ToArray()) <= 1e-6f);
    }

    [Theory]
    [InlineData("elmo")]
    [InlineData("word_emb")]
    [InlineData("lstm_outputs1")]
    [InlineData("lstm_outputs2")]
    public async Task PerTokenOutputsAreTheLayersTfHubNames(string output)
    {
        float[,,] layers = Alone(Texts[1]);
        int tokens = layers.GetLength(1), width = layers.GetLength(2), projection = reference.Options.Lstm.ProjectionDim;
        JsonElement answer = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = new[] { Texts[1] }, output }));
        float[] served = Flatten(answer.GetProperty("embeddings")[0]);
        IEnumerable<float> expected = output switch
        {
            "elmo" => Enumerable.Range(0, tokens * width).Select(i => (layers[0, i / width, i % width] + layers[1, i / width, i % width] + layers[2, i / width, i % width]) / 3f),
            "word_emb" => Enumerable.Range(0, tokens * projection).Select(i => layers[0, i / projection, i % projection]),
            _ => Enumerable.Range(0, tokens * width).Select(i => layers[output == "lstm_outputs1" ? 1 : 2, i / width, i % width]),
        };
        Assert.Equal(output == "word_emb" ? [tokens, projection] : new[] { tokens, width }, Shape(answer.GetProperty("shapes")[0]));
        Assert.True(MaxDifference(expected, served) <= 1e-5f);
    }

    /// <summary>Reads the binary format exactly as docs/serving.md describes it.</summary>
    internal static List<(int[] Shape, float[] Values)> ReadBinary(byte[] body)
    {
        Assert.Equal("ELMB"u8.ToArray(), body[..4]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(4)));
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(8));
        int offset = 12;
        var result = new List<(int[], float[])>();
        for (int i = 0; i < count; i++)
        {
            int rank = (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(offset));
            int[] shape = Enumerable.Range(0, rank).Select(d => (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(offset + 4 + 4 * d))).ToArray();
            offset += 4 + 4 * rank;
            int n = shape.Aggregate(1, (a, b) => a * b);
            float[] values = Enumerable.Range(0, n).Select(j => BinaryPrimitives.ReadSingleLittleEndian(body.AsSpan(offset + 4 * j))).ToArray();
            offset += 4 * n;
            result.Add((shape, values));
        }
        Assert.Equal(body.Length, offset);
        return result;
    }

    [Theory]
    [InlineData("default")]
    [InlineData("all")]
    public async Task TheBinaryFormatCarriesTheSameVectorsAsJson(string output)
    {
        string json = JsonSerializer.Serialize(new { inputs = Texts, output });
        JsonElement asJson = await server.EmbedJsonAsync(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/embed") { Content = new StringContent(json) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/octet-stream"));
        using HttpResponseMessage response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var binary = ReadBinary(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal(Texts.Length, binary.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(Shape(asJson.GetProperty("shapes")[i]), binary[i].Shape);
            // JSON prints the shortest round-trip form of each float32, so the values are identical.
            Assert.Equal(Flatten(asJson.GetProperty("embeddings")[i]), binary[i].Values);
        }
    }

    [Fact]
    public async Task OpenAiEmbeddingsArePooledDefaultVectorsWithTokenUsage()
    {
        JsonElement native = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = Texts }));
        JsonElement answer = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { input = Texts, model = "anything" }), "/v1/embeddings");
        Assert.Equal("list", answer.GetProperty("object").GetString());
        JsonElement[] data = answer.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(Texts.Length, data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            // Another request may batch differently: equal to float rounding.
            Assert.True(MaxDifference(Flatten(native.GetProperty("embeddings")[i]), Flatten(data[i].GetProperty("embedding"))) <= 1e-5f);
        }
        int tokens = Texts.Sum(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(tokens, answer.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(tokens, answer.GetProperty("usage").GetProperty("total_tokens").GetInt32());

        JsonElement single = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { input = Texts[0], encoding_format = "base64" }), "/v1/embeddings");
        byte[] bytes = Convert.FromBase64String(single.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        float[] decoded = Enumerable.Range(0, bytes.Length / 4).Select(j => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * j))).ToArray();
        Assert.True(MaxDifference(Flatten(native.GetProperty("embeddings")[0]), decoded) <= 1e-5f);
    }

    [Fact]
    public async Task HealthInfoAndMetricsDescribeTheServer()
    {
        using HttpResponseMessage health = await server.Client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("ready", await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        JsonElement info = JsonDocument.Parse(await server.Client.GetStringAsync("/info", TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(reference.OutputDim, info.GetProperty("model").GetProperty("output_dim").GetInt32());
        Assert.Equal(3, info.GetProperty("model").GetProperty("output_layers").GetInt32());
        Assert.Equal(32, info.GetProperty("limits").GetProperty("max_client_batch_size").GetInt32());
        Assert.Equal(2 * 1024 * 1024, info.GetProperty("limits").GetProperty("max_body_bytes").GetInt64());
        Assert.False(string.IsNullOrEmpty(info.GetProperty("version").GetString()));

        await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = Texts }));
        string metrics = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        foreach (string name in new[] { "elmo_requests_total", "elmo_request_duration_seconds", "elmo_queue_size", "elmo_batch_size", "elmo_batch_tokens", "elmo_inflight_requests", "process_working_set_bytes", "dotnet_gc_pause_seconds_total" })
            Assert.Contains(name, metrics);
        Assert.Equal(1, await server.MetricAsync("elmo_requests_total{endpoint=\"/embed\",status=\"200\"}"));
        Assert.Equal(1, await server.MetricAsync("elmo_ready"));
        // The server runs in this process: after a blocking collection its GC pause total is above zero
        // and at most what the runtime reports afterwards.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        double pause = await server.MetricAsync("dotnet_gc_pause_seconds_total");
        Assert.InRange(pause, 1e-9, GC.GetTotalPauseDuration().TotalSeconds);
    }
}
