using System.Globalization;

namespace ElmoCli.Embed;

/// <summary>
/// Which shard of the input this process embeds: <c>--shard-index I --shard-count N</c>, defaulting from
/// a Slurm job array (<c>SLURM_ARRAY_TASK_ID</c>, <c>SLURM_ARRAY_TASK_COUNT</c>) or a Kubernetes Indexed
/// Job (<c>JOB_COMPLETION_INDEX</c>, with <c>--shard-count</c>).
/// </summary>
internal sealed record ShardChoice(int Index, int Count)
{
    /// <summary>The shard the options and environment ask for, or <see langword="null"/> when the run is not sharded.</summary>
    public static ShardChoice? Resolve(int? index, int? count, Func<string, string?> environment)
    {
        string source = "--shard-index";
        if (index is null)
        {
            if (Parse(environment, "SLURM_ARRAY_TASK_ID") is int slurm) { index = slurm; source = "SLURM_ARRAY_TASK_ID"; }
            else if (Parse(environment, "JOB_COMPLETION_INDEX") is int k8s) { index = k8s; source = "JOB_COMPLETION_INDEX"; }
        }
        if (count is null && Parse(environment, "SLURM_ARRAY_TASK_COUNT") is int slurmCount) count = slurmCount;
        if (index is null && count is null) return null;
        if (index is null) throw new ArgumentException($"--shard-count {count} needs --shard-index I (or SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX).");
        if (count is null) throw new ArgumentException($"{source} {index} needs --shard-count N (or SLURM_ARRAY_TASK_COUNT).");
        if (count <= 0) throw new ArgumentException($"--shard-count must be positive, got {count}.");
        if (index < 0 || index >= count)
            throw new ArgumentException($"Shard index {index} (from {source}) is out of range for {count} shards: use 0..{count - 1}. (A Slurm array must run as --array=0-{count - 1}.)");
        return new ShardChoice(index.Value, count.Value);
    }

    private static int? Parse(Func<string, string?> environment, string name)
    {
        string? text = environment(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new ArgumentException($"Environment variable {name}='{text}' is not an integer.");
        return value;
    }
}
