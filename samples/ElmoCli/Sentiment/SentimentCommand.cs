using System.CommandLine;
using ElmoKeras.Elmo;
using ElmoKeras.ElmoLayer;

namespace ElmoCli.Sentiment;

/// <summary><c>elmo sentiment</c>: the ELMo-in-Keras IMDB recipe end to end.</summary>
internal static class SentimentCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Imdb("--data", "aclImdb_v1.tar.gz or its extracted folder (default: download the official archive, cached).");
        var outputDir = CommonOptions.OutputDir("Where to write weights, history and the plot.", "sentiment-output");
        var maxWords = CommonOptions.MaxWords();
        var epochs = CommonOptions.Epochs();
        var batchSize = CommonOptions.BatchSize(32);
        var limit = CommonOptions.Limit();
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only the first N test reviews (default: --limit, else all 25,000)." }.Positive();
        var seed = CommonOptions.Seed();
        var trainable = new Option<string>("--trainable") { Description = "scalar-mix (TF Hub's 4 numbers), all (fine-tune ELMo) or none.", DefaultValueFactory = _ => "scalar-mix" };
        trainable.AcceptOnlyFromAmong("scalar-mix", "all", "none");
        var head = new Option<string>("--output") { Description = "pooled (the recipe) or sequence (a Bidirectional LSTM over per-token ELMo vectors).", DefaultValueFactory = _ => "pooled" };
        head.AcceptOnlyFromAmong("pooled", "sequence");
        var device = CommonOptions.Device();
        var batchNorm = new Option<bool>("--batch-norm") { Description = "Put BatchNormalization between ELMo and Dense(256) (helps small, briefly pretrained bi-LMs whose features are tiny)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Run ELMo every epoch even when it is frozen (to measure what the feature cache saves)." };
        var bf16 = CommonOptions.BFloat16("ELMo's matrix products in bfloat16 (fast on GPUs and CPUs with AVX-512 BF16/AMX; emulated, far slower, elsewhere).");
        var elmo = new ElmoSource(defaultHandle: ElmoSource.DefaultHubHandle);

        var command = new Command("sentiment", "Train the ELMo + Dense IMDB sentiment classifier of the Keras recipe.");
        foreach (Option option in new Option[] { data, outputDir, maxWords, epochs, batchSize, limit, testLimit, seed, trainable, head, device, batchNorm, noCache, bf16 }) command.Options.Add(option);
        elmo.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new SentimentSettings(result.GetValue(data), Path.GetFullPath(result.GetValue(outputDir)!), result.GetValue(maxWords),
                result.GetValue(epochs), result.GetValue(batchSize), result.GetValue(limit), result.GetValue(testLimit), result.GetValue(seed),
                result.GetValue(trainable) switch { "all" => ElmoTrainable.All, "none" => ElmoTrainable.None, _ => ElmoTrainable.ScalarMix },
                result.GetValue(head) == "sequence" ? SentimentHead.Sequence : SentimentHead.Pooled, !result.GetValue(noCache), result.GetValue(batchNorm));
            using ElmoModel model = await elmo.LoadAsync(result, new ElmoModelSettings
            {
                Device = ModelOptions.ParseDevice(result.GetValue(device)!),
                ComputeType = result.GetValue(bf16) ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32,
            }, cancellationToken);
            SentimentResult outcome = await new SentimentJob(model, settings, Console.Out).RunAsync(cancellationToken);
            return outcome.Cancelled ? CommandRunner.Cancelled : 0;
        });
        return command;
    }
}
