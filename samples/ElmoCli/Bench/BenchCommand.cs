using System.CommandLine;
using ElmoKeras.Elmo;

namespace ElmoCli.Bench;

/// <summary><c>elmo bench</c>: ELMo throughput on IMDB reviews (or the machine's GEMM speed), as one JSON line.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var imdb = new Option<string?>("--imdb") { Description = "The extracted aclImdb folder (or its parent). Required unless --gemm." };
        var count = new Option<int>("--n") { Description = "Reviews to embed.", DefaultValueFactory = _ => 512 };
        var batchSize = new Option<int?>("--batch-size") { Description = "Reviews per batch (for comparisons with tools that batch by count); default: batches by --max-batch-tokens." };
        var maxBatchTokens = new Option<int?>("--max-batch-tokens") { Description = $"Padded tokens per batch (default {BenchSettings.DefaultMaxBatchTokens} unless --batch-size is given)." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Whitespace tokens kept per review.", DefaultValueFactory = _ => 150 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for TorchSharp.", DefaultValueFactory = _ => 2 };
        var mode = new Option<string>("--mode") { Description = "embed (inference) or train (forward + backward, all weights trainable).", DefaultValueFactory = _ => "embed" };
        mode.AcceptOnlyFromAmong("embed", "train");
        var noBucketing = new Option<bool>("--no-bucketing") { Description = "Batch in file order instead of by length (to measure what bucketing gains)." };
        var arch = new Option<string?>("--arch") { Description = "Use random weights of a published architecture (small, medium, original) instead of files." };
        var bf16 = new Option<bool>("--bf16") { Description = "Matrix products in bfloat16 (fast on GPUs and CPUs with AVX-512 BF16/AMX; about two significant digits)." };
        var drift = new Option<bool>("--bf16-drift") { Description = "Run the same weights in float32 and bfloat16 over the reviews and report the largest output difference and both speeds." };
        var profile = new Option<bool>("--profile") { Description = "Time the parts of one batch (character CNN; each LSTM's input product, recurrent products and the rest) instead of the whole run." };
        var gemm = new Option<bool>("--gemm") { Description = "Measure this machine's fp32 matrix-product speed (GFLOP/s, best of several 2048^3 products) instead of ELMo." };
        var model = new ModelOptions();

        var command = new Command("bench", "Measure ELMo throughput on IMDB test reviews; prints one JSON line.");
        foreach (Option option in new Option[] { imdb, count, batchSize, maxBatchTokens, maxTokens, threads, mode, noBucketing, arch, bf16, drift, profile, gemm }) command.Options.Add(option);
        model.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            int threadCount = result.GetValue(threads);
            if (threadCount <= 0) throw new ArgumentException($"--threads must be positive, got {threadCount}.");
            if (result.GetValue(gemm))
            {
                Console.WriteLine(GemmBench.Run(threadCount, cancellationToken).ToJson());
                return Task.FromResult(0);
            }
            string source = result.GetValue(imdb) ?? throw new ArgumentException("--imdb is required (the extracted aclImdb folder), unless --gemm.");
            var settings = BenchSettings.Create(source, result.GetValue(count), result.GetValue(batchSize), result.GetValue(maxBatchTokens), result.GetValue(maxTokens),
                threadCount, result.GetValue(mode) == "train" ? BenchMode.Train : BenchMode.Embed, !result.GetValue(noBucketing), result.GetValue(bf16));
            string? architecture = result.GetValue(arch);
            // Files, or random weights of a published architecture; drift builds both number types.
            ElmoModel Create(bool bfloat16) => architecture is null
                ? model.Load(result, stateful: false, bfloat16)
                : ElmoModel.CreateRandom(ElmoArchitectures.ByName(architecture), seed: 0, model.Settings(result, bfloat16: bfloat16));
            if (result.GetValue(drift))
            {
                Console.WriteLine(DriftBench.Run(type => Create(type == TorchSharp.torch.ScalarType.BFloat16), settings, cancellationToken).ToJson());
                return Task.FromResult(0);
            }
            using ElmoModel elmo = Create(settings.BFloat16);
            Console.WriteLine(result.GetValue(profile)
                ? ProfileBench.ToJson(ProfileBench.Run(elmo, settings, cancellationToken))
                : new BenchJob(elmo, settings).Run(cancellationToken).ToJson());
            return Task.FromResult(0);
        });
        return command;
    }
}
