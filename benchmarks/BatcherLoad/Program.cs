using System.Diagnostics;
using ElmoKeras.Batching;
using ElmoKeras.Elmo;
using ElmoCli.Bench;
using TorchSharp;

// Usage: BatcherLoad OPTIONS WEIGHTS ACLIMDB CLIENTS SECONDS [THREADS]
// CLIENTS callers each embed one IMDB test review (first 150 tokens) at a time, back to back, for
// SECONDS; prints one JSON line: tokens/s overall and per second of model time, sentences per batch.
if (args.Length < 5)
{
    Console.Error.WriteLine("usage: BatcherLoad OPTIONS WEIGHTS ACLIMDB CLIENTS SECONDS [THREADS]");
    return 2;
}
int clients = int.Parse(args[3]), threads = args.Length > 5 ? int.Parse(args[5]) : Environment.ProcessorCount;
var limit = TimeSpan.FromSeconds(double.Parse(args[4]));
string[][] reviews = ImdbTestReviews.Load(args[2], 2000, 150);

// As elmo serve does: the model loads on a thread that ends, so only the batcher's worker keeps a
// team of libgomp threads (with two teams on two cores they sleep between parallel regions: docs/serving.md).
ElmoModel? loaded = null;
var loader = new Thread(() =>
{
    torch.set_num_threads(threads);
    loaded = ElmoModel.Load(args[0], args[1], new ElmoModelSettings { TokenCacheCapacity = 0 });
});
loader.Start();
loader.Join();
using var elmo = loaded!;
torch.set_num_threads(threads);      // the batcher's worker takes its creator's count
using var batcher = new ElmoBatcher(elmo);
double modelSeconds = 0;
batcher.BatchCompleted += (_, e) => modelSeconds += e.Duration.TotalSeconds;
long tokens = 0;
int next = 0;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
{
    while (clock.Elapsed < limit)
    {
        string[] review = reviews[Interlocked.Increment(ref next) % reviews.Length];
        await batcher.EmbedAsync(review);
        Interlocked.Add(ref tokens, review.Length);
    }
}));
double seconds = clock.Elapsed.TotalSeconds;
ElmoBatcherStatistics statistics = batcher.Statistics;
Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
{
    clients,
    seconds = Math.Round(seconds, 2),
    tokens_per_second = Math.Round(tokens / seconds, 1),
    model_tokens_per_second = Math.Round(statistics.Tokens / modelSeconds, 1),
    sentences_per_batch = Math.Round(statistics.Sentences / (double)statistics.Batches, 1),
    model_busy_fraction = Math.Round(modelSeconds / seconds, 3),
}));
return 0;
