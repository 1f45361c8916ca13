using System.Text.Json;
using ElmoKeras.IO;
using ElmoKeras.Weights;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Elmo.Pretraining;

/// <summary>
/// The pretraining checkpoint folder: <c>options.json</c>, <c>vocab.txt</c>, <c>checkpoint.hdf5</c>
/// (every parameter under <c>parameters/NAME</c>, its Adagrad accumulator under <c>adagrad/NAME</c>,
/// the carried LSTM states under <c>states/I/cell|hidden</c>) and, written last,
/// <see cref="ElmoPretrainer.CheckpointInfoFile"/> (step, tokens, settings).
/// </summary>
internal static class PretrainCheckpoint
{
    private const string WeightsFile = "checkpoint.hdf5";
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>What the checkpoint's JSON file holds.</summary>
    public sealed record Info(int Step, long Tokens, PretrainOptions Settings);

    /// <summary>
    /// Writes a complete checkpoint into <paramref name="directory"/>. Its files must match each
    /// other, so the whole folder is replaced at once (<see cref="AtomicFile.ReplaceDirectory"/>): some
    /// complete checkpoint exists at every moment. Returns the full path written.
    /// </summary>
    public static string Write(string directory, ElmoOptions options, Vocabulary vocabulary, Info info, IEnumerable<WeightArray> arrays)
    {
        string target = Path.GetFullPath(directory);
        AtomicFile.ReplaceDirectory(target, partial =>
        {
            File.WriteAllText(Path.Combine(partial, "options.json"), options.ToJson());
            vocabulary.Save(Path.Combine(partial, "vocab.txt"));
            Hdf5WeightWriter.Write(Path.Combine(partial, WeightsFile), arrays);
            // Written last: its presence marks the folder complete.
            File.WriteAllText(Path.Combine(partial, ElmoPretrainer.CheckpointInfoFile), JsonSerializer.Serialize(info, JsonOptions));
        });
        return target;
    }

    /// <summary>
    /// Finds the complete checkpoint in <paramref name="directory"/> (or the <c>.old</c> one a crash
    /// between <see cref="Write"/>'s folder swaps leaves) and reads its description, options and vocabulary.
    /// </summary>
    /// <exception cref="FileNotFoundException">No complete checkpoint is there.</exception>
    /// <exception cref="WeightFormatException">The description is not valid.</exception>
    public static (string Folder, Info Info, ElmoOptions Options, Vocabulary Vocabulary) Open(string directory)
    {
        // A crash between the folder swaps of Write leaves the complete one as .old.
        string folder = AtomicFile.CompleteDirectory(directory, f => File.Exists(Path.Combine(f, ElmoPretrainer.CheckpointInfoFile)))
            ?? Path.GetFullPath(directory);
        string infoPath = Path.Combine(folder, ElmoPretrainer.CheckpointInfoFile);
        if (!File.Exists(infoPath))
            throw new FileNotFoundException($"'{directory}' holds no complete pretraining checkpoint ({ElmoPretrainer.CheckpointInfoFile} is missing).", infoPath);
        Info info;
        try
        {
            info = JsonSerializer.Deserialize<Info>(File.ReadAllText(infoPath), JsonOptions)
                ?? throw new WeightFormatException($"'{infoPath}' is empty.") { FilePath = infoPath };
        }
        catch (JsonException e)
        {
            throw new WeightFormatException($"'{infoPath}' is not a valid checkpoint description: {e.Message}", e) { FilePath = infoPath };
        }
        ElmoOptions options = ElmoOptions.Load(Path.Combine(folder, "options.json"));
        Vocabulary vocabulary = Vocabulary.Load(Path.Combine(folder, "vocab.txt"));
        return (folder, info, options, vocabulary);
    }

    /// <summary>The arrays <see cref="Write"/> stores, in the checkpoint's layout.</summary>
    public static IEnumerable<WeightArray> Arrays(IReadOnlyList<(string Name, Parameter Parameter)> parameters, IReadOnlyList<Tensor> accumulators, IReadOnlyList<LstmState>? states)
    {
        static WeightArray Array(string name, Tensor value)
        {
            using var scope = NewDisposeScope();
            return new WeightArray(name, value.shape, value.detach().to_type(ScalarType.Float32).contiguous().cpu().data<float>().ToArray());
        }
        for (int i = 0; i < parameters.Count; i++)
        {
            yield return Array("parameters/" + parameters[i].Name, parameters[i].Parameter);
            yield return Array("adagrad/" + parameters[i].Name, accumulators[i]);
        }
        if (states is not null)
            for (int i = 0; i < states.Count; i++)
            {
                yield return Array($"states/{i}/cell", states[i].Cell);
                yield return Array($"states/{i}/hidden", states[i].Hidden);
            }
    }

    /// <summary>
    /// Copies the folder's arrays into <paramref name="parameters"/> and <paramref name="accumulators"/>
    /// and restores <paramref name="model"/>'s carried states, checking every name and shape.
    /// </summary>
    /// <exception cref="WeightFormatException">An array is missing or misshapen.</exception>
    public static void Restore(string folder, IReadOnlyList<(string Name, Parameter Parameter)> parameters, IReadOnlyList<Tensor> accumulators, ElmoModel model)
    {
        using var source = Hdf5WeightSource.Open(Path.Combine(folder, WeightsFile));
        Tensor Read(string name, long[] shape)
        {
            long[] stored = source.TryGetShape(name) ?? throw new WeightFormatException($"'{source.Path}' has no '{name}'; it does not belong to these options.") { FilePath = source.Path };
            if (!stored.SequenceEqual(shape))
                throw new WeightFormatException($"'{source.Path}': '{name}' has shape {WeightArray.FormatShape(stored)}, expected {WeightArray.FormatShape(shape)}.") { FilePath = source.Path };
            WeightArray array = source.Read(name);
            return tensor(array.Data, array.Shape);
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < parameters.Count; i++)
        {
            var (name, parameter) = parameters[i];
            parameter.copy_(Read("parameters/" + name, parameter.shape));
            accumulators[i].copy_(Read("adagrad/" + name, parameter.shape));
        }
        model.ClearTokenCache();
        if (source.TryGetShape("states/0/cell") is { } cellShape)
        {
            long rows = cellShape[0];
            int count = 2 * model.Options.Lstm.NumLayers;
            var states = Enumerable.Range(0, count).Select(i => (Read($"states/{i}/cell", [rows, model.Options.Lstm.Dim]), Read($"states/{i}/hidden", [rows, model.Options.Lstm.ProjectionDim]))).ToArray();
            model.RestoreStates(states);
        }
    }
}
