using System.Security.Cryptography;
using ElmoKeras.Weights;
using ElmoKeras.Weights.TensorBundle;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>Real TensorFlow checkpoints (index SSTable and data shard) through <see cref="TensorBundleReader"/>, every tensor read.</summary>
internal sealed class CheckpointTarget : FuzzTarget
{
    private static readonly string[] Checkpoints = ["tf_text_regression", "saved_model_half_plus_two_cpu", "saved_model_counter"];
    private readonly Dictionary<string, (byte[] Index, byte[] Data, string Digest)> originals = [];

    public override string Name => "checkpoint";
    public override string Description => "TF checkpoint (`.index` + data shard) → `TensorBundleReader`, every tensor";
    public override IReadOnlyList<Type> Documented => [typeof(WeightFormatException)];

    private static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "tf-checkpoints", name, "variables");

    public override void Prepare(string workDirectory)
    {
        foreach (string name in Checkpoints)
            originals[name] = (File.ReadAllBytes(Path.Combine(Folder(name), "variables.index")),
                               File.ReadAllBytes(Path.Combine(Folder(name), "variables.data-00000-of-00001")),
                               Digest(Path.Combine(Folder(name), "variables")));
    }

    /// <summary>A hash over every entry's name, type, shape and values (strings as bytes).</summary>
    private static string Digest(string prefix)
    {
        using TensorBundleReader reader = TensorBundleReader.Open(prefix);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (TensorBundleEntry entry in reader.Entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{entry.Name}|{entry.DataType}|{string.Join(',', entry.Shape)}|"));
            if (entry.DataType == TfDataType.String)
                foreach (byte[] s in reader.ReadByteStrings(entry.Name)) hash.AppendData(s);
            else if (reader.Names.Contains(entry.Name))
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(reader.Read(entry.Name).Data.AsSpan()));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        string name = Checkpoints[random.Next(Checkpoints.Length)];
        var (index, data, digest) = originals[name];
        bool inIndex = random.Next(3) != 0;
        // The footer and the block trailers (type byte, CRC) hold the offsets and checksums.
        List<int> hot = inIndex ? [index.Length - 48, index.Length - 40, index.Length - 8, 0] : [0];
        byte[] mutatedIndex = inIndex ? Mutator.Mutate(index, random, hot) : index;
        byte[] mutatedData = inIndex ? data : Mutator.Mutate(data, random, hot);
        if (mutatedIndex.AsSpan().SequenceEqual(index) && mutatedData.AsSpan().SequenceEqual(data)) return new(Outcome.Unmutated);
        string prefix = Path.Combine(caseDirectory, "variables");
        File.WriteAllBytes(prefix + ".index", mutatedIndex);
        File.WriteAllBytes(prefix + ".data-00000-of-00001", mutatedData);
        return Digest(prefix) == digest ? new(Outcome.Same) : new(Outcome.Changed, "tensors differ");
    }
}
