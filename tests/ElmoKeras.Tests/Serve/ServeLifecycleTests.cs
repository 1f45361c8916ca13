using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ElmoCli.Serve;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Serve;

/// <summary>Batching across requests, clients that go away, readiness, and graceful shutdown.</summary>
public sealed class ServeLifecycleTests
{
    private static readonly string[] Texts = Fixtures.ReadSentences().SelectMany(c => c).ToArray();

    [Fact]
    public async Task ConcurrentRequestsAreBatchedTogetherAndEachGetsItsOwnVectors()
    {
        await using ServeTestServer server = await ServeTestServer.StartAsync(new ServeSettings { MaxWait = TimeSpan.FromMilliseconds(20) });
        using ElmoModel reference = ServeTestServer.LoadFixture();
        // 3 rounds of 10 concurrent single-sentence requests.
        for (int round = 0; round < 3; round++)
        {
            string[] texts = Texts.Skip(10 * round).Take(10).ToArray();
            JsonElement[] answers = await Task.WhenAll(texts.Select(t => server.EmbedJsonAsync(JsonSerializer.Serialize(new { inputs = new[] { t }, output = "all" }))));
            for (int i = 0; i < texts.Length; i++)
            {
                using ElmoEmbeddings alone = reference.Embed([texts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
                float[] expected = alone.GetSentence(0).Cast<float>().ToArray();
                float[] served = Flatten(answers[i].GetProperty("embeddings")[0]);
                Assert.Equal(expected.Length, served.Length);
                Assert.True(expected.Zip(served).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5f, $"round {round}, request {i}");
            }
        }
        // Batches are reported before their requests complete.
        double sentences = await server.MetricAsync("elmo_batch_size_sum");
        double batches = await server.MetricAsync("elmo_batch_size_count");
        double singles = await server.MetricAsync("elmo_batch_size_bucket{le=\"1\"}");
        Assert.Equal(30, sentences);
        Assert.True(batches < sentences, $"{sentences} sentences ran in {batches} batches");
        Assert.True(singles < batches, "some batch held more than one request");
        Assert.Equal(30, await server.MetricAsync("elmo_requests_total{endpoint=\"/embed\",status=\"200\"}"));
    }

    private static float[] Flatten(JsonElement nested) => nested.ValueKind == JsonValueKind.Array
        ? nested.EnumerateArray().SelectMany(Flatten).ToArray()
        : [nested.GetSingle()];

    [Fact]
    public async Task TheWarmUpIsNotCountedAsTraffic()
    {
        // The metrics subscribe after the warm-up; its last batch must not reach them late and count
        // as the first request's (the worker reports a batch before its callers resume).
        for (int start = 0; start < 3; start++)
        {
            await using ServeTestServer server = await ServeTestServer.StartAsync();
            Assert.True(server.Batcher.Statistics.Batches >= 2, "the warm-up ran its batches through the batcher");
            Assert.Equal(0, await server.MetricAsync("elmo_batch_size_count"));
            Assert.Equal(0, await server.MetricAsync("elmo_tokens_total"));
        }
    }

    [Fact]
    public async Task AClientThatDisconnectsHasItsQueuedWorkDropped()
    {
        await using ServeTestServer server = await ServeTestServer.StartAsync();
        // The warm-up runs through the batcher, so that its worker is the one thread that runs the model.
        long warmUp = server.Batcher.Statistics.Sentences;
        Assert.True(warmUp > 0, "the warm-up sentences went through the batcher");
        using (await server.BlockWorkerAsync())
        {
            using var hangUp = new CancellationTokenSource();
            Task<HttpResponseMessage> abandoned = server.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = Texts.Take(3) }), hangUp.Token);
            await ServeTestServer.WaitUntilAsync(() => server.Batcher.QueuedSentences == 3, "3 sentences wait");
            hangUp.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
            await ServeTestServer.WaitUntilAsync(() => server.Batcher.QueuedSentences == 0, "the queue is empty");
        }
        Assert.Equal(3, server.Batcher.Statistics.Dropped);
        JsonElement answer = await server.EmbedJsonAsync("{\"inputs\": [\"after the hang-up\"]}");
        Assert.Equal(1, answer.GetProperty("embeddings").GetArrayLength());
        Assert.Equal(3, await server.MetricAsync("elmo_sentences_dropped_total"));
        await ServeTestServer.WaitUntilAsync(() => server.Host.Metrics.Requests.WithLabels("/embed", "499").Value == 1, "the hang-up is counted as 499");
        // Only the blocking sentence and the last request ran.
        Assert.Equal(warmUp + 2, server.Batcher.Statistics.Sentences);
    }

    [Fact]
    public async Task HealthIs503UntilTheModelIsLoadedAndWarm()
    {
        using var loaded = new ManualResetEventSlim();
        ServeHost host = ServeHost.Create(new ServeSettings { Port = 0 }, _ =>
        {
            loaded.Wait(TimeSpan.FromSeconds(30));
            return Task.FromResult(ServeTestServer.LoadFixture());
        }, logging => { });
        Task starting = host.StartAsync(TestContext.Current.CancellationToken);
        await ServeTestServer.WaitUntilAsync(() => host.Address is not null, "the server listens");
        using var client = new HttpClient { BaseAddress = host.Address };
        using (HttpResponseMessage health = await client.GetAsync("/health", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains("loading", await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.True(health.Headers.Contains("Retry-After"));
        }
        using (HttpResponseMessage early = await client.PostAsync("/embed", new StringContent("{\"inputs\": [\"too early\"]}"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
            Assert.Contains("still loading", await early.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        loaded.Set();
        await starting;
        using (HttpResponseMessage health = await client.GetAsync("/health", TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await host.StopAsync();
    }

    [Fact]
    public async Task ShutdownFinishesInFlightRequestsThenStopsListening()
    {
        ServeTestServer server = await ServeTestServer.StartAsync();
        Uri address = server.Host.Address!;
        Task<HttpResponseMessage>[] inFlight;
        Task stopping;
        using (await server.BlockWorkerAsync())
        {
            inFlight = Texts.Take(4).Select(t => server.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { t } }))).ToArray();
            await ServeTestServer.WaitUntilAsync(() => server.Batcher.QueuedSentences == 4, "4 requests wait");
            // The server alone: the client must stay open to read the drained answers, which can still
            // sit unread in its sockets when the server has finished stopping.
            stopping = server.Host.StopAsync();
            await ServeTestServer.WaitUntilAsync(() => server.Host.Service.State != ServiceState.Ready, "the server drains");
            Assert.False(stopping.IsCompleted);
        }
        foreach (HttpResponseMessage response in await Task.WhenAll(inFlight))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1, JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("embeddings").GetArrayLength());
        }
        await stopping.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await server.DisposeAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(IPAddress.Loopback, address.Port, TestContext.Current.CancellationToken).AsTask());
    }
}
