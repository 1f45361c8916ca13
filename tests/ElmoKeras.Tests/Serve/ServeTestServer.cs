using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElmoCli.Serve;
using ElmoKeras.Batching;
using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace ElmoKeras.Tests.Serve;

/// <summary>
/// A real <c>elmo serve</c> (Kestrel) on 127.0.0.1 with a free port and the fixture model, plus an
/// HttpClient for it. Disposing stops the server gracefully.
/// </summary>
internal sealed class ServeTestServer : IAsyncDisposable
{
    private ServeTestServer(ServeHost host)
    {
        Host = host;
        Client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ServeHost Host { get; }

    public HttpClient Client { get; }

    public ElmoBatcher Batcher => Host.Service.Batcher;

    public static async Task<ServeTestServer> StartAsync(ServeSettings? settings = null, Func<CancellationToken, ElmoModel>? load = null)
    {
        settings = (settings ?? new ServeSettings()) with { Host = "127.0.0.1", Port = 0 };
        ServeHost host = ServeHost.Create(settings, ct => Task.FromResult((load ?? (_ => LoadFixture()))(ct)), logging => logging.SetMinimumLevel(LogLevel.None));
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new ServeTestServer(host);
    }

    public static ElmoModel LoadFixture() => ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, CancellationToken cancellationToken = default) =>
        Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken == default ? TestContext.Current.CancellationToken : cancellationToken);

    public async Task<JsonElement> EmbedJsonAsync(string json, string path = "/embed")
    {
        using HttpResponseMessage response = await PostJsonAsync(path, json);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The value of one Prometheus series (e.g. <c>elmo_requests_total{endpoint="/embed",status="200"}</c>), 0 when absent.</summary>
    public async Task<double> MetricAsync(string series)
    {
        string text = await Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        string? line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Blocks the batcher's worker inside its BatchCompleted event until released (a busy model, deterministically).</summary>
    public Task<WorkerBlocker> BlockWorkerAsync() => WorkerBlocker.BlockAsync(Batcher);

    /// <summary>Polls until <paramref name="condition"/> holds (bounded: 10 s).</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what) => ServeTestServerWait.UntilAsync(condition, what);

    public async ValueTask DisposeAsync()
    {
        // The server first: disposing the client would cancel requests still in flight. Their answers
        // can still be unread when the server has stopped, so a test that reads answers sent during
        // the stop calls Host.StopAsync itself, reads them, then disposes.
        await Host.StopAsync();
        Client.Dispose();
    }
}

/// <summary>Bounded polling for conditions another thread makes true.</summary>
internal static class ServeTestServerWait
{
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
