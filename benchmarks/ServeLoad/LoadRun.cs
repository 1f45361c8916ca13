using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ElmoCli.Bench;

namespace ServeLoad;

/// <summary>The measured outcome of one run.</summary>
internal sealed record LoadResult(int Clients, double Seconds, long Requests, long Ok, long Tokens, double TokensPerSecond, double RequestsPerSecond,
    double? P50Ms, double? P95Ms, double? P99Ms, double? MaxMs, IReadOnlyDictionary<string, long> Statuses, long Timeouts, long TransportErrors);

/// <summary>
/// N clients, each sending one review per request and the next as soon as the answer is read, until
/// the duration is over. Requests still in flight then finish (bounded by the timeout) and count.
/// A 429 is counted and the client waits its Retry-After (at most 5 s) before the next request.
/// </summary>
internal static class LoadRun
{
    public static async Task<LoadResult> RunAsync(LoadSettings settings, string[] reviews)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = settings.Url, Timeout = settings.Timeout };
        byte[][] bodies = reviews.Select(r => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { inputs = new[] { r } }))).ToArray();
        long[] tokensOf = reviews.Select(r => (long)r.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length).ToArray();
        var latencies = new ConcurrentBag<double>();
        var statuses = new ConcurrentDictionary<string, long>();
        long next = -1, tokens = 0, timeouts = 0, transport = 0;
        var clock = Stopwatch.StartNew();

        async Task Client()
        {
            while (clock.Elapsed < settings.Duration)
            {
                int index = (int)(Interlocked.Increment(ref next) % bodies.Length);
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new ByteArrayContent(bodies[index]);
                    content.Headers.ContentType = new("application/json");
                    using HttpResponseMessage response = await client.PostAsync("/embed", content);
                    await response.Content.ReadAsByteArrayAsync();
                    statuses.AddOrUpdate(((int)response.StatusCode).ToString(), 1, (_, n) => n + 1);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                        Interlocked.Add(ref tokens, tokensOf[index]);
                    }
                    else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        // A well-behaved client: wait as told (capped), as TEI's clients are asked to.
                        TimeSpan wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        await Task.Delay(wait < TimeSpan.FromSeconds(5) ? wait : TimeSpan.FromSeconds(5));
                    }
                }
                catch (TaskCanceledException)
                {
                    Interlocked.Increment(ref timeouts);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref transport);
                    await Task.Delay(100);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(_ => Task.Run(Client)));
        double seconds = clock.Elapsed.TotalSeconds;
        double[] sorted = latencies.Order().ToArray();
        long requests = statuses.Values.Sum() + timeouts + transport;
        return new LoadResult(settings.Clients, Math.Round(seconds, 2), requests, sorted.Length, tokens, Math.Round(tokens / seconds, 1), Math.Round(requests / seconds, 2),
            NearestRank.Percentile(sorted, 0.50), NearestRank.Percentile(sorted, 0.95), NearestRank.Percentile(sorted, 0.99), NearestRank.Percentile(sorted, 1),
            new SortedDictionary<string, long>(statuses), timeouts, transport);
    }
}
