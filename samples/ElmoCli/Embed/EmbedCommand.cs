using System.CommandLine;
using ElmoKeras.Elmo;
using ElmoKeras.EmbeddingFiles;

namespace ElmoCli.Embed;

/// <summary>
/// <c>elmo embed INPUT OUTPUT</c>: compatible with AllenNLP's former <c>allennlp elmo</c> command.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("input") { Description = "UTF-8 text, one whitespace-tokenised sentence per line." };
        var output = new Argument<FileInfo>("output") { Description = "HDF5 file to write." };
        var all = new Option<bool>("--all") { Description = "Write all layers: [layers, tokens, width] per sentence." };
        var top = new Option<bool>("--top") { Description = "Write the top layer: [tokens, width] per sentence." };
        var average = new Option<bool>("--average") { Description = "Write the mean of all layers: [tokens, width] per sentence." };
        var batchSize = CommonOptions.OptionalBatchSize($"Sentences per batch (alone: batches by count, as AllenNLP did; default {EmbedSettings.DefaultBatchSize} as the cap of a token budget).");
        var maxBatchTokens = CommonOptions.MaxBatchTokens($"Padded tokens per batch (default {EmbedSettings.DefaultMaxBatchTokens} unless --batch-size is given alone).");
        var stateful = new Option<bool>("--stateful") { Description = "Carry LSTM states between batches in file order, as AllenNLP did (reproduces its numbers; otherwise every sentence is embedded independently)." };
        var sentenceKeys = new Option<bool>("--use-sentence-keys") { Description = "Name each dataset by its sentence instead of its line index." };
        var forget = new Option<bool>("--forget-sentences") { Description = "Do not write the sentence_to_index dataset." };
        var layout = new Option<string>("--layout") { Description = "per-sentence (AllenNLP's: one dataset per line) or flat (one chunked dataset of all tokens plus offsets; for big inputs and shards).", DefaultValueFactory = _ => "per-sentence" };
        layout.AcceptOnlyFromAmong("per-sentence", "flat");
        var float16 = new Option<bool>("--float16") { Description = "Store float16 (flat layout): half the size, about 3 significant digits." };
        var shardIndex = new Option<int?>("--shard-index") { Description = "Embed shard I (0-based) of --shard-count contiguous line ranges into OUTPUT.shard-I-of-N.h5. Default: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX." };
        var shardCount = new Option<int?>("--shard-count") { Description = "Number of shards. Default: SLURM_ARRAY_TASK_COUNT." };
        var checkpointLines = new Option<int>("--checkpoint-lines") { Description = "Flat layout: sentences per checkpoint; a restarted run continues after the last complete one.", DefaultValueFactory = _ => EmbedSettings.DefaultCheckpointLines }.Positive();
        var model = new ModelOptions();

        var command = new Command("embed", "Embed a text file with ELMo into an HDF5 file (the layout of 'allennlp elmo').");
        command.Arguments.Add(input);
        command.Arguments.Add(output);
        foreach (Option option in new Option[] { all, top, average, batchSize, maxBatchTokens, stateful, sentenceKeys, forget, layout, float16, shardIndex, shardCount, checkpointLines }) command.Options.Add(option);
        model.AddTo(command);
        command.Validators.Add(result =>
        {
            int chosen = new[] { all, top, average }.Count(o => result.GetValue(o));
            if (chosen != 1) result.AddError("Choose exactly one of --all, --top or --average.");
        });

        command.SetAction(async (result, cancellationToken) =>
        {
            EmbedLayers layers = result.GetValue(all) ? EmbedLayers.All : result.GetValue(top) ? EmbedLayers.Top : EmbedLayers.Average;
            ShardChoice? shard = ShardChoice.Resolve(result.GetValue(shardIndex), result.GetValue(shardCount), Environment.GetEnvironmentVariable);
            int? rows = result.GetValue(batchSize), budget = result.GetValue(maxBatchTokens);
            var settings = new EmbedSettings(result.GetValue(input)!.FullName, result.GetValue(output)!.FullName, layers,
                rows ?? EmbedSettings.DefaultBatchSize, result.GetValue(stateful), result.GetValue(sentenceKeys), result.GetValue(forget),
                result.GetValue(layout) == "flat" ? EmbeddingLayout.Flat : EmbeddingLayout.PerSentence, result.GetValue(float16),
                shard, result.GetValue(checkpointLines), budget ?? (rows is null ? EmbedSettings.DefaultMaxBatchTokens : null));
            using ElmoModel elmo = await model.LoadAsync(result, settings.Stateful, cancellationToken: cancellationToken);
            long count = new EmbedJob(elmo, settings, result.InvocationConfiguration.Error).Run(new ConsoleProgress("embedded"), cancellationToken);
            string target = shard is null ? settings.OutputFile : ShardFiles.ShardPath(settings.OutputFile, shard.Index, shard.Count);
            result.InvocationConfiguration.Error.WriteLine($"wrote {count} sentences to {target}");
            return 0;
        });
        return command;
    }
}
