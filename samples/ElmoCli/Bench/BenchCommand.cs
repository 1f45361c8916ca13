using System.CommandLine;
using ElmoKeras.Elmo;

namespace ElmoCli.Bench;

/// <summary><c>elmo bench</c>: ELMo throughput on IMDB reviews, as one JSON line.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var imdb = new Option<string>("--imdb") { Description = "The extracted aclImdb folder (or its parent).", Required = true };
        var count = new Option<int>("--n") { Description = "Reviews to embed.", DefaultValueFactory = _ => 512 };
        var batchSize = new Option<int>("--batch-size") { Description = "Reviews per batch.", DefaultValueFactory = _ => 32 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Whitespace tokens kept per review.", DefaultValueFactory = _ => 150 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for TorchSharp.", DefaultValueFactory = _ => 2 };
        var mode = new Option<string>("--mode") { Description = "embed (inference) or train (forward + backward, all weights trainable).", DefaultValueFactory = _ => "embed" };
        mode.AcceptOnlyFromAmong("embed", "train");
        var noBucketing = new Option<bool>("--no-bucketing") { Description = "Batch in file order instead of by length (to measure what bucketing gains)." };
        var arch = new Option<string?>("--arch") { Description = "Use random weights of a published architecture (small, medium, original) instead of files." };
        var bf16 = new Option<bool>("--bf16") { Description = "Compute in bfloat16 (faster on GPUs and AVX-512 BF16 CPUs; about two significant digits)." };
        var model = new ModelOptions();

        var command = new Command("bench", "Measure ELMo throughput on IMDB test reviews; prints one JSON line.");
        foreach (Option option in new Option[] { imdb, count, batchSize, maxTokens, threads, mode, noBucketing, arch, bf16 }) command.Options.Add(option);
        model.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var settings = new BenchSettings(result.GetValue(imdb)!, result.GetValue(count), result.GetValue(batchSize), result.GetValue(maxTokens),
                result.GetValue(threads), result.GetValue(mode) == "train" ? BenchMode.Train : BenchMode.Embed, !result.GetValue(noBucketing), result.GetValue(bf16));
            string? architecture = result.GetValue(arch);
            using ElmoModel elmo = architecture is null
                ? model.Load(result, stateful: false, settings.BFloat16)
                : ElmoModel.CreateRandom(ElmoArchitectures.ByName(architecture), seed: 0,
                    new ElmoModelSettings { Device = ModelOptions.ParseDevice(result.GetValue(model.Device)!), ComputeType = settings.BFloat16 ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32 });
            Console.WriteLine(new BenchJob(elmo, settings).Run(cancellationToken).ToJson());
            return Task.FromResult(0);
        });
        return command;
    }
}
