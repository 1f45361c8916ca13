using ElmoKeras.Weights.TensorBundle;

namespace ElmoKeras.Weights.Hub;

/// <summary>
/// A TF Hub ELMo module's variables, exposed under bilm-tf's HDF5 names so the same loader reads
/// both: <c>bilm/</c> is dropped, <c>…/rnn/lstm_cell/{kernel, bias, projection/kernel}</c> become
/// <c>…/LSTMCell/{W_0, B, W_P_0}</c>, a 262-row <c>char_embed</c> loses its all-zero padding row,
/// and the trained scalar mix is available as <c>aggregation/weights</c> [L] and
/// <c>aggregation/scaling</c> [1] (a scalar in the module). Other variables are ignored and listed
/// in <see cref="ExtraVariables"/>.
/// </summary>
public sealed class HubModuleWeightSource : IWeightSource
{
    /// <summary>The exposed name of the trained layer weights.</summary>
    public const string MixWeights = "aggregation/weights";

    /// <summary>The exposed name of the trained γ.</summary>
    public const string MixScaling = "aggregation/scaling";

    private readonly TensorBundleReader reader;
    private readonly Dictionary<string, string> toHub = new(StringComparer.Ordinal);

    private HubModuleWeightSource(string folder, TensorBundleReader reader)
    {
        Folder = folder;
        this.reader = reader;
        var extra = new List<string>();
        foreach (string hubName in reader.Names)
        {
            string? name = ToBilmName(hubName);
            if (name is null) extra.Add(hubName);
            else toHub[name] = hubName;
        }
        ExtraVariables = extra;
    }

    /// <summary>The module folder.</summary>
    public string Folder { get; }

    /// <inheritdoc/>
    public string Path => reader.Path;

    /// <inheritdoc/>
    public IReadOnlyCollection<string> Names => toHub.Keys;

    /// <summary>Variables of the checkpoint that are not ELMo weights (optimizer slots, step counters, state).</summary>
    public IReadOnlyList<string> ExtraVariables { get; }

    /// <summary>Opens a module folder (holding <c>variables/variables.index</c> and, normally, <c>tfhub_module.pb</c>).</summary>
    /// <exception cref="WeightFormatException">Not a TF1 Hub module, or its checkpoint is corrupt.</exception>
    public static HubModuleWeightSource Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"TF Hub module folder '{folder}' does not exist.");
        string marker = System.IO.Path.Combine(folder, "tfhub_module.pb");
        if (File.Exists(marker))
        {
            // ModuleDef { format: FORMAT_V3 = 3 } is the two bytes 08 03.
            byte[] bytes = File.ReadAllBytes(marker);
            if (bytes.Length < 2 || bytes[0] != 0x08 || bytes[1] != 0x03)
                throw new WeightFormatException($"'{marker}' does not declare the TF1 Hub module format 3 (expected bytes 08 03). TF2 SavedModels are not ELMo modules.") { FilePath = marker };
        }
        string variables = System.IO.Path.Combine(folder, "variables");
        if (!File.Exists(System.IO.Path.Combine(variables, "variables.index")))
            throw new WeightFormatException($"'{folder}' is not a TF Hub module: it has no variables/variables.index.") { FilePath = folder };
        return new HubModuleWeightSource(folder, TensorBundleReader.Open(variables));
    }

    /// <inheritdoc/>
    public long[]? TryGetShape(string name)
    {
        if (!toHub.TryGetValue(name, out string? hub)) return null;
        long[] shape = reader.TryGetShape(hub)!;
        return name switch
        {
            "char_embed" when shape.Length == 2 && shape[0] == 262 => [261, shape[1]],
            MixScaling when shape.Length == 0 => [1],
            _ => shape,
        };
    }

    /// <inheritdoc/>
    public WeightArray Read(string name)
    {
        if (!toHub.TryGetValue(name, out string? hub)) throw new WeightFormatException($"'{Path}': the module has no variable for '{name}'.") { FilePath = Path };
        WeightArray array = reader.Read(hub);
        if (name == "char_embed" && array.Shape.Length == 2 && array.Shape[0] == 262)
        {
            long dim = array.Shape[1];
            if (array.Data.AsSpan(0, (int)dim).ContainsAnyExcept(0f))
                throw new WeightFormatException($"'{Path}': '{hub}' has 262 rows but row 0 (the padding character) is not all zeros; expected bilm-tf's layout.") { FilePath = Path };
            return new WeightArray(name, [261, dim], array.Data[(int)dim..]);
        }
        return array with { Name = name, Shape = TryGetShape(name)! };
    }

    /// <inheritdoc/>
    public void Dispose() => reader.Dispose();

    /// <summary>The bilm-tf name of a hub variable, or null when it is not an ELMo weight.</summary>
    internal static string? ToBilmName(string hubName)
    {
        if (hubName is "aggregation/weights" or "aggregation/scaling") return hubName;
        if (!hubName.StartsWith("bilm/", StringComparison.Ordinal)) return null;
        string name = hubName["bilm/".Length..];
        if (name.StartsWith("RNN_", StringComparison.Ordinal))
        {
            foreach (var (hub, bilm) in new[] { ("/rnn/lstm_cell/projection/kernel", "/LSTMCell/W_P_0"), ("/rnn/lstm_cell/kernel", "/LSTMCell/W_0"), ("/rnn/lstm_cell/bias", "/LSTMCell/B") })
                if (name.EndsWith(hub, StringComparison.Ordinal)) return name[..^hub.Length] + bilm;
            return null; // e.g. carried LSTM state variables
        }
        return name.StartsWith("CNN", StringComparison.Ordinal) || name == "char_embed" ? name : null;
    }
}
