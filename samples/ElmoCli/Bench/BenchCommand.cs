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
        var model = new ModelOptions();

        var command = new Command("bench", "Measure ELMo throughput on IMDB test reviews; prints one JSON line.");
        foreach (Option option in new Option[] { imdb, count, batchSize, maxTokens, threads, mode, noBucketing, arch }) command.Options.Add(option);
        model.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var settings = new BenchSettings(result.GetValue(imdb)!, result.GetValue(count), result.GetValue(batchSize), result.GetValue(maxTokens),
                result.GetValue(threads), result.GetValue(mode) == "train" ? BenchMode.Train : BenchMode.Embed, !result.GetValue(noBucketing));
            string? architecture = result.GetValue(arch);
            using ElmoModel elmo = architecture is null
                ? model.Load(result, stateful: false)
                : ElmoModel.CreateRandom(ElmoArchitectures.ByName(architecture), seed: 0,
                    new ElmoModelSettings { Device = ModelOptions.ParseDevice(result.GetValue(model.Device)!) });
            Console.WriteLine(new BenchJob(elmo, settings).Run(cancellationToken).ToJson());
            return Task.FromResult(0);
        });
        return command;
    }
}
