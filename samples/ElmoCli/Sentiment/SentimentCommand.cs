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
        var head = new Option<string>("--output")
        {
            Description = "pooled (the recipe), sequence (a Bidirectional LSTM over per-token ELMo vectors) or bilstm (the ELMo paper's task model: "
                + "ELMo vectors with dropout + a trained word embedding -> Bidirectional LSTM -> max over steps -> sigmoid).",
            DefaultValueFactory = _ => "pooled",
        };
        head.AcceptOnlyFromAmong("pooled", "sequence", "bilstm");
        var noElmo = new Option<bool>("--no-elmo") { Description = "bilstm only: word embeddings alone, no ELMo (the ablation's baseline; no model is loaded)." };
        var wordDim = new Option<int>("--word-dim") { Description = "bilstm only: size of the trained word embedding joined to ELMo's vectors (0 = none).", DefaultValueFactory = _ => 100 }.NonNegative();
        var vocabulary = new Option<int>("--vocabulary") { Description = "bilstm only: the word embedding's vocabulary, most frequent training words (padding and [UNK] included).", DefaultValueFactory = _ => 20_000 }.AtLeast(3);
        var lstmUnits = new Option<int>("--lstm-units") { Description = "bilstm only: LSTM units per direction.", DefaultValueFactory = _ => 64 }.Positive();
        var elmoDropout = new Option<double>("--elmo-dropout") { Description = "bilstm only: dropout rate on the ELMo vectors.", DefaultValueFactory = _ => 0.5 }.Fraction();
        var elmoLayerNorm = new Option<bool>("--elmo-layer-norm") { Description = "Normalise each bi-LM layer (mean 0, variance 1 over the batch's tokens) before the scalar mix, as the ELMo paper suggests for some tasks." };
        var elmoGamma = new Option<double?>("--elmo-gamma") { Description = "Initial scale γ of the scalar mix (default 1): match ELMo's vectors to the word embedding's scale (see docs/quality.md)." }.PositiveNumber();
        var learningRate = new Option<double>("--learning-rate") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 1e-3 }.PositiveNumber();
        var biLmScale = new Option<double>("--bilm-learning-rate-scale") { Description = "With --trainable all: the bi-LM's learning rate as a fraction of --learning-rate.", DefaultValueFactory = _ => 1.0 }.Fraction();
        var frozenEpochs = new Option<int>("--frozen-epochs") { Description = "With --trainable all: train the head alone (bi-LM frozen, features cached) for the first N of --epochs.", DefaultValueFactory = _ => 0 }.NonNegative();
        var featureStorage = new Option<string>("--feature-storage") { Description = "Number type of cached per-token ELMo features: float32 (exact) or float16 (half the memory).", DefaultValueFactory = _ => "float32" };
        featureStorage.AcceptOnlyFromAmong("float32", "float16");
        var featureDir = new Option<string?>("--feature-cache-dir") { Description = "Folder for per-token feature caches too large for memory (default: the temporary folder)." };
        var device = CommonOptions.Device();
        var batchNorm = new Option<bool>("--batch-norm") { Description = "Put BatchNormalization between ELMo and Dense(256) (helps small, briefly pretrained bi-LMs whose features are tiny)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Run ELMo every epoch even when it is frozen (to measure what the feature cache saves)." };
        var bf16 = CommonOptions.BFloat16("ELMo's matrix products in bfloat16 (fast on GPUs and CPUs with AVX-512 BF16/AMX; emulated, far slower, elsewhere).");
        var elmo = new ElmoSource(defaultHandle: ElmoSource.DefaultHubHandle);

        var command = new Command("sentiment", "Train the ELMo + Dense IMDB sentiment classifier of the Keras recipe.");
        foreach (Option option in new Option[] { data, outputDir, maxWords, epochs, batchSize, limit, testLimit, seed, trainable, head, noElmo, wordDim, vocabulary, lstmUnits,
            elmoDropout, elmoLayerNorm, elmoGamma, learningRate, biLmScale, frozenEpochs, featureStorage, featureDir, device, batchNorm, noCache, bf16 }) command.Options.Add(option);
        elmo.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new SentimentSettings(result.GetValue(data), Path.GetFullPath(result.GetValue(outputDir)!), result.GetValue(maxWords),
                result.GetValue(epochs), result.GetValue(batchSize), result.GetValue(limit), result.GetValue(testLimit), result.GetValue(seed),
                result.GetValue(trainable) switch { "all" => ElmoTrainable.All, "none" => ElmoTrainable.None, _ => ElmoTrainable.ScalarMix },
                result.GetValue(head) switch { "sequence" => SentimentHead.Sequence, "bilstm" => SentimentHead.BiLstm, _ => SentimentHead.Pooled },
                !result.GetValue(noCache), result.GetValue(batchNorm), !result.GetValue(noElmo), result.GetValue(wordDim), result.GetValue(vocabulary),
                result.GetValue(lstmUnits), result.GetValue(elmoDropout), result.GetValue(learningRate), result.GetValue(biLmScale), result.GetValue(frozenEpochs),
                result.GetValue(featureStorage) == "float16" ? ElmoFeatureStorage.Float16 : ElmoFeatureStorage.Float32, result.GetValue(featureDir),
                result.GetValue(elmoLayerNorm), (float?)result.GetValue(elmoGamma));
            if (!settings.UseElmo && settings.Head != SentimentHead.BiLstm) throw new ArgumentException("--no-elmo needs --output bilstm (the other heads are ELMo's).");
            if (!settings.UseElmo && settings.WordDim == 0) throw new ArgumentException("--no-elmo with --word-dim 0 leaves the model no input.");
            using ElmoModel? model = !settings.UseElmo ? null : await elmo.LoadAsync(result, new ElmoModelSettings
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
