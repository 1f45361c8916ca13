using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ElmoCli.Serve;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.Serve;

/// <summary>Every limit answers its status with an RFC 7807 problem naming what was wrong and the limit; the server keeps serving.</summary>
public sealed class ServeLimitTests : IAsyncLifetime
{
    private static readonly ServeSettings Limits = new() { MaxClientBatchSize = 4, MaxTokens = 8, MaxBodyBytes = 4096, MaxQueue = 6, MaxConcurrentRequests = 64 };
    private ServeTestServer server = null!;

    public async ValueTask InitializeAsync() => server = await ServeTestServer.StartAsync(Limits);

    public async ValueTask DisposeAsync() => await server.DisposeAsync();

    private static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, params string[] detailParts)
    {
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        string detail = problem.GetProperty("detail").GetString()!;
        foreach (string part in detailParts) Assert.Contains(part, detail);
        Assert.DoesNotContain("   at ", body);   // no stack trace
        return problem;
    }

    /// <summary>After any refusal the next good request is served.</summary>
    private async Task AssertStillServes()
    {
        JsonElement answer = await server.EmbedJsonAsync("{\"inputs\": [\"still serving\"]}");
        Assert.Equal(1, answer.GetProperty("embeddings").GetArrayLength());
    }

    [Theory]
    [InlineData("{\"inputs\": [\"a\", ", "not valid JSON")]
    [InlineData("", "body is empty")]
    [InlineData("[\"a sentence\"]", "must be a JSON object")]
    [InlineData("{\"input\": [\"a\"]}", "no \"inputs\" field")]
    [InlineData("{\"inputs\": 42}", "\"inputs\" must be a string, an array of strings or an array of token arrays; got a JSON number")]
    [InlineData("{\"inputs\": [\"a\", 7]}", "\"inputs\"[1] is a JSON number")]
    [InlineData("{\"inputs\": [[\"a\"], \"b\"]}", "\"inputs\"[1] is a JSON string")]
    [InlineData("{\"inputs\": [[\"a\", 3]]}", "\"inputs\"[0][1] is a JSON number; tokens must be strings")]
    [InlineData("{\"inputs\": [\"a\"], \"output\": 3}", "\"output\" must be a string")]
    [InlineData("{\"inputs\": [\"a\"], \"truncate\": \"yes\"}", "\"truncate\" must be true or false")]
    [InlineData("\u00ff\u00fe", "not valid JSON")]
    public async Task MalformedBodiesAndWrongTypesAre400(string body, string detail)
    {
        using HttpResponseMessage response = await server.PostJsonAsync("/embed", body);
        await AssertProblem(response, HttpStatusCode.BadRequest, detail);
        await AssertStillServes();
    }

    [Theory]
    [InlineData("{\"inputs\": []}", "\"inputs\" is empty")]
    [InlineData("{\"inputs\": \"   \"}", "is empty (no tokens)")]
    [InlineData("{\"inputs\": [\"a\", \"\"]}", "\"inputs\"[1] is empty (no tokens)")]
    [InlineData("{\"inputs\": [\"a\"], \"output\": \"pooled\"}", "\"output\" must be one of \"default\", \"elmo\", \"word_emb\", \"lstm_outputs1\", \"lstm_outputs2\", \"all\"; got \"pooled\"")]
    [InlineData("{\"inputs\": [[\"a\", \"--PAD--\", \"b\"]]}", "after padding")]
    public async Task EmptyOrInvalidInputsAre422(string body, string detail)
    {
        using HttpResponseMessage response = await server.PostJsonAsync("/embed", body);
        await AssertProblem(response, HttpStatusCode.UnprocessableEntity, detail);
        await AssertStillServes();
    }

    [Fact]
    public async Task TooManyInputsAre422WithTheLimit()
    {
        using HttpResponseMessage response = await server.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { "a", "b", "c", "d", "e" } }));
        JsonElement problem = await AssertProblem(response, HttpStatusCode.UnprocessableEntity, "has 5 inputs; the limit is 4 per request (--max-client-batch-size)");
        Assert.Equal(4, problem.GetProperty("limit").GetInt32());
        using HttpResponseMessage openAi = await server.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = new[] { "a", "b", "c", "d", "e" } }));
        await AssertProblem(openAi, HttpStatusCode.UnprocessableEntity, "\"input\" has 5 inputs; the limit is 4");
        await AssertStillServes();
    }

    [Fact]
    public async Task TooManyTokensAre422UnlessTruncated()
    {
        string nine = "one two three four five six seven eight nine";
        using HttpResponseMessage refused = await server.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { "short", nine } }));
        JsonElement problem = await AssertProblem(refused, HttpStatusCode.UnprocessableEntity, "\"inputs\"[1] has 9 tokens; the limit is 8 (--max-tokens)");
        Assert.Equal(8, problem.GetProperty("limit").GetInt32());

        JsonElement cut = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = new[] { nine }, truncate = true, output = "elmo" }));
        Assert.Equal(8, cut.GetProperty("tokens")[0].GetInt32());
        Assert.Equal(1, cut.GetProperty("truncated").GetInt32());
        JsonElement eight = await server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = new[] { string.Join(' ', nine.Split(' ')[..8]) }, output = "elmo" }));
        Assert.Equal(eight.GetProperty("embeddings").GetRawText(), cut.GetProperty("embeddings").GetRawText());
    }

    [Fact]
    public async Task TheServerWideTruncateSettingCutsLongInputs()
    {
        await using ServeTestServer truncating = await ServeTestServer.StartAsync(Limits with { Truncate = true });
        JsonElement answer = await truncating.EmbedJsonAsync(JsonSerializer.Serialize(new { input = "one two three four five six seven eight nine ten" }), "/v1/embeddings");
        Assert.Equal(8, answer.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task BodiesOverTheLimitAre413WhetherAnnouncedOrChunked()
    {
        string big = JsonSerializer.Serialize(new { inputs = new[] { new string('x', 5000) } });
        using HttpResponseMessage announced = await server.PostJsonAsync("/embed", big);
        JsonElement problem = await AssertProblem(announced, HttpStatusCode.RequestEntityTooLarge, "the limit is 4096 bytes (--max-body-bytes)");
        Assert.Equal(4096, problem.GetProperty("limit").GetInt32());

        // No Content-Length: the body is counted as it streams in.
        var chunked = new HttpRequestMessage(HttpMethod.Post, "/embed") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) };
        chunked.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage streamed = await server.Client.SendAsync(chunked, TestContext.Current.CancellationToken);
        await AssertProblem(streamed, HttpStatusCode.RequestEntityTooLarge, "the limit is 4096 bytes");
        await AssertStillServes();
    }

    [Fact]
    public async Task AFullQueueIs429WithRetryAfterAndNothingQueued()
    {
        Task<HttpResponseMessage> held;
        using (await server.BlockWorkerAsync())
        {
            Task<HttpResponseMessage> waiting = server.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { "a b", "c d", "e f", "g h" } }));
            await ServeTestServer.WaitUntilAsync(() => server.Batcher.QueuedSentences == 4, "4 sentences wait");
            using HttpResponseMessage refused = await server.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { "i j", "k l", "m n" } }));
            JsonElement problem = await AssertProblem(refused, HttpStatusCode.TooManyRequests, "queue is full: 4 of at most 6 sentences wait (--max-queue) and this request has 3");
            Assert.Equal(6, problem.GetProperty("limit").GetInt32());
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            Assert.Equal(4, server.Batcher.QueuedSentences);
            // Leaving the block releases the worker: the queued request is answered.
            held = waiting;
        }
        using (HttpResponseMessage answered = await held) Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        await AssertStillServes();
        Assert.Equal(1, await server.MetricAsync("elmo_requests_total{endpoint=\"/embed\",status=\"429\"}"));
        Assert.Equal(3, await server.MetricAsync("elmo_sentences_rejected_total"));
    }

    [Fact]
    public async Task TheConcurrencyLimitIs429AtOnce()
    {
        await using ServeTestServer small = await ServeTestServer.StartAsync(Limits with { MaxConcurrentRequests = 2 });
        Task<HttpResponseMessage>[] held;
        using (await small.BlockWorkerAsync())
        {
            held = [small.PostJsonAsync("/embed", "{\"inputs\": \"a b\"}"), small.PostJsonAsync("/embed", "{\"inputs\": \"c d\"}")];
            await ServeTestServer.WaitUntilAsync(() => small.Batcher.QueuedSentences == 2, "2 requests wait");
            using HttpResponseMessage refused = await small.PostJsonAsync("/embed", "{\"inputs\": \"e f\"}");
            await AssertProblem(refused, HttpStatusCode.TooManyRequests, "2 requests are being handled, the limit (--max-concurrent-requests)");
            Assert.True(refused.Headers.Contains("Retry-After"));
        }
        foreach (HttpResponseMessage response in await Task.WhenAll(held)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenAiRequestsAreCheckedToo()
    {
        using HttpResponseMessage ids = await server.PostJsonAsync("/v1/embeddings", "{\"input\": [[101, 102]]}");
        await AssertProblem(ids, HttpStatusCode.BadRequest, "token ids are not accepted");
        using HttpResponseMessage format = await server.PostJsonAsync("/v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"int8\"}");
        await AssertProblem(format, HttpStatusCode.UnprocessableEntity, "\"encoding_format\" must be \"float\" or \"base64\"; got \"int8\"");
        using HttpResponseMessage dimensions = await server.PostJsonAsync("/v1/embeddings", "{\"input\": \"a\", \"dimensions\": 8}");
        await AssertProblem(dimensions, HttpStatusCode.UnprocessableEntity, "gives 32-dimensional vectors");
        using HttpResponseMessage empty = await server.PostJsonAsync("/v1/embeddings", "{\"input\": \"\"}");
        await AssertProblem(empty, HttpStatusCode.UnprocessableEntity, "\"input\" is empty (no tokens)");
        await AssertStillServes();
    }

    [Fact]
    public async Task UnknownPathsAndMethodsAreRefusedAndServingGoesOn()
    {
        using HttpResponseMessage missing = await server.Client.GetAsync("/nothing", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using HttpResponseMessage method = await server.Client.GetAsync("/embed", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.StatusCode);
        await AssertStillServes();
    }

    /// <summary>The fixture with the character vectors of capital letters scaled to overflow: lower-case text is fine, "Boom" is not.</summary>
    private static ElmoModel OverflowOnCapitals(string dir)
    {
        List<WeightArray> arrays;
        using (var source = Hdf5WeightSource.Open(Fixtures.ElmoWeights)) arrays = source.Names.Select(source.Read).ToList();
        // The first filters ×1000 keep ordinary characters finite; capitals at 3e38 then overflow.
        int filter = arrays.FindIndex(a => a.Name == "CNN/W_cnn_0");
        arrays[filter] = arrays[filter] with { Data = arrays[filter].Data.Select(v => v * 1000f).ToArray() };
        int index = arrays.FindIndex(a => a.Name == "char_embed");
        float[] data = arrays[index].Data.ToArray();
        int width = (int)arrays[index].Shape[1];
        for (int row = 'A'; row <= 'Z' + 1; row++)
            for (int d = 0; d < width; d++) data[row * width + d] = 3e38f;
        arrays[index] = arrays[index] with { Data = data };
        string path = Path.Combine(dir, "overflow.hdf5");
        Hdf5WeightWriter.Write(path, arrays);
        return ElmoModel.Load(Fixtures.ElmoOptions, path);
    }

    [Fact]
    public async Task AModelFailureIs500WithoutInternalsAndOnlyForItsBatch()
    {
        string dir = Directory.CreateTempSubdirectory("elmokeras-serve-").FullName;
        try
        {
            await using ServeTestServer failing = await ServeTestServer.StartAsync(Limits, _ => OverflowOnCapitals(dir));
            using HttpResponseMessage response = await failing.PostJsonAsync("/embed", "{\"inputs\": [\"Boom Boom\"]}");
            JsonElement problem = await AssertProblem(response, HttpStatusCode.InternalServerError, "non-finite");
            Assert.DoesNotContain("Exception", problem.GetRawText());
            JsonElement ok = await failing.EmbedJsonAsync("{\"inputs\": [\"quiet words\"]}");
            Assert.Equal(1, ok.GetProperty("embeddings").GetArrayLength());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
