using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoCli.Bench;

/// <summary>
/// This machine's sustained fp32 matrix-product speed on the CPU: the ceiling against which ELMo's
/// FLOPs per token (docs/performance.md) turn a throughput into a share of what the hardware can do.
/// </summary>
internal static class GemmBench
{
    private const int Size = 2048;
    private const int Repeats = 8;

    public static GemmResult Run(int threads, CancellationToken cancellationToken)
    {
        torch.set_num_threads(threads);
        using var scope = NewDisposeScope();
        var generator = new Generator(0);
        Tensor a = rand(Size, Size, generator: generator), b = rand(Size, Size, generator: generator);
        a.mm(b).Dispose(); // warm-up: thread pool, packing buffers
        double best = double.MaxValue;
        for (int i = 0; i < Repeats; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            a.mm(b).Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        double flops = 2.0 * Size * Size * Size;
        return new GemmResult(Threads: threads, Size: Size, Repeats: Repeats, BestSeconds: Math.Round(best, 5), Gflops: Math.Round(flops / best / 1e9, 1));
    }
}

/// <summary>The best of <c>Repeats</c> fp32 products of two <c>Size</c>² matrices, as one JSON line.</summary>
internal sealed record GemmResult(int Threads, int Size, int Repeats, double BestSeconds, double Gflops)
{
    public string ToJson() => JsonSerializer.Serialize(new { mode = "gemm", threads = Threads, size = Size, repeats = Repeats, best_seconds = BestSeconds, gflops = Gflops });
}
