using System.CommandLine;

namespace ElmoCli.Merge;

/// <summary><c>elmo merge OUTPUT</c>: joins the shards <c>OUTPUT.shard-I-of-N.h5</c> of a sharded <c>elmo embed</c>.</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var output = new Argument<FileInfo>("output") { Description = "The OUTPUT given to 'elmo embed --shard-index I --shard-count N'; its shards are OUTPUT.shard-I-of-N.h5." };
        var command = new Command("merge", "Join the shards of a sharded 'elmo embed --layout flat' into OUTPUT, after checking they are all there and belong together.");
        command.Arguments.Add(output);
        command.SetAction((result, cancellationToken) =>
        {
            string path = result.GetValue(output)!.FullName;
            long sentences = new ShardMerger(path, result.InvocationConfiguration.Error).Run(cancellationToken);
            result.InvocationConfiguration.Error.WriteLine($"{path}: {sentences} sentences");
            return Task.FromResult(0);
        });
        return command;
    }
}
