using System.CommandLine;
using ElmoKeras.Elmo;

namespace ElmoCli.Bench;

/// <summary><c>elmo bench</c>: ELMo throughput on IMDB reviews (or the machine's GEMM speed), as one JSON line.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var imdb = CommonOptions.Imdb("--imdb", "aclImdb_v1.tar.gz or its extracted folder (or the folder above aclImdb). Required unless --gemm.");
        var count = new Option<int>("--n") { Description = "Reviews to embed.", DefaultValueFactory = _ => 512 }.Positive();
        var batchSize = CommonOptions.OptionalBatchSize("Reviews per batch (for comparisons with tools that batch by count); default: batches by --max-batch-tokens.");
        var maxBatchTokens = CommonOptions.MaxBatchTokens($"Padded tokens per batch (default {BenchSettings.DefaultMaxBatchTokens} unless --batch-size is given).");
        var maxTokens = new Option<int>("--max-tokens") { Description = "Whitespace tokens kept per review.", DefaultValueFactory = _ => 150 }.Positive();
        var minTokens = new Option<int>("--min-tokens") { Description = "Skip reviews with fewer whitespace tokens (with --max-tokens the same, every review has that length).", DefaultValueFactory = _ => 1 }.Positive();
        var threads = CommonOptions.Threads(2);
        var mode = new Option<string>("--mode") { Description = "embed (inference) or train (forward + backward, all weights trainable).", DefaultValueFactory = _ => "embed" };
        mode.AcceptOnlyFromAmong("embed", "train");
        var noBucketing = new Option<bool>("--no-bucketing") { Description = "Batch in file order instead of by length (to measure what bucketing gains)." };
        var arch = CommonOptions.Arch("Use random weights of a published architecture (small, medium, original) instead of files.");
        var bf16 = CommonOptions.BFloat16("Matrix products in bfloat16 (fast on GPUs and CPUs with AVX-512 BF16/AMX; about two significant digits).");
        var drift = new Option<bool>("--bf16-drift") { Description = "Run the same weights in float32 and bfloat16 over the reviews and report the largest output difference and both speeds." };
        var profile = new Option<bool>("--profile") { Description = "Time the parts of one batch (character CNN; each LSTM layer's input products, recurrent products and the rest, both directions together as they run) instead of the whole run." };
        var gemm = new Option<bool>("--gemm") { Description = "Measure this machine's fp32 matrix-product speed (GFLOP/s, best of several 2048^3 products) instead of ELMo." };
        var model = new ModelOptions();

        var command = new Command("bench", "Measure ELMo throughput on IMDB test reviews; prints one JSON line.");
        foreach (Option option in new Option[] { imdb, count, batchSize, maxBatchTokens, maxTokens, minTokens, threads, mode, noBucketing, arch, bf16, drift, profile, gemm }) command.Options.Add(option);
        model.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            int threadCount = result.GetValue(threads);
            if (result.GetValue(gemm))
            {
                Console.WriteLine(GemmBench.Run(threadCount, cancellationToken).ToJson());
                return 0;
            }
            string source = result.GetValue(imdb) ?? throw new ArgumentException("--imdb is required (aclImdb_v1.tar.gz or its extracted folder), unless --gemm.");
            if (File.Exists(source)) source = await CommonOptions.ResolveImdbAsync(source, cancellationToken);
            var settings = BenchSettings.Create(source, result.GetValue(count), result.GetValue(batchSize), result.GetValue(maxBatchTokens), result.GetValue(maxTokens),
                threadCount, result.GetValue(mode) == "train" ? BenchMode.Train : BenchMode.Embed, !result.GetValue(noBucketing), result.GetValue(bf16), result.GetValue(minTokens));
            string? architecture = result.GetValue(arch);
            // Files, or random weights of a published architecture; drift builds both number types.
            async Task<ElmoModel> CreateAsync(bool bfloat16) => architecture is null
                ? await model.LoadAsync(result, stateful: false, bfloat16, cancellationToken)
                : ElmoModel.CreateRandom(ElmoArchitectures.ByName(architecture), seed: 0, model.Settings(result, bfloat16: bfloat16));
            if (result.GetValue(drift))
            {
                using ElmoModel fp32 = await CreateAsync(false), bf16Model = await CreateAsync(true);
                Console.WriteLine(DriftBench.Run(fp32, bf16Model, settings, cancellationToken).ToJson());
                return 0;
            }
            using ElmoModel elmo = await CreateAsync(settings.BFloat16);
            Console.WriteLine(result.GetValue(profile)
                ? ProfileBench.ToJson(ProfileBench.Run(elmo, settings, cancellationToken))
                : new BenchJob(elmo, settings).Run(cancellationToken).ToJson());
            return 0;
        });
        return command;
    }
}
