using System.CommandLine;
using ElmoCli;
using ElmoCli.Baseline;
using ElmoCli.Bench;
using ElmoCli.Embed;
using ElmoCli.Merge;
using ElmoCli.RandomModel;
using ElmoCli.Sentiment;
using ElmoCli.Pretrain;

var root = new RootCommand("ElmoKeras command-line tools: ELMo embeddings for .NET.");
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(MergeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(RandomModelCommand.Create());
root.Subcommands.Add(SentimentCommand.Create());
root.Subcommands.Add(PretrainCommand.Create());
root.Subcommands.Add(BaselineCommand.Create());
return await CommandRunner.InvokeAsync(root, args);
