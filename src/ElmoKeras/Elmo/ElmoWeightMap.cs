using ElmoKeras.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// Maps bilm-tf's weight names (the layout of <c>dump_weights</c> HDF5 files; TF Hub modules are
/// exposed under the same names) onto the bi-LM's parameters, converting TensorFlow layouts to
/// TorchSharp ones. Every expected name and shape is checked before anything is copied, and all
/// mismatches are reported together.
/// </summary>
internal static class ElmoWeightMap
{
    /// <summary>The name of the LSTM variables of <paramref name="direction"/> and <paramref name="layer"/>, without the variable.</summary>
    public static string LstmPrefix(int direction, int layer) => $"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell";

    /// <summary>Every name the bi-LM reads, with its expected stored shape.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ExpectedShapes(ElmoOptions options) =>
        Entries(options, network: null).Select(e => (e.Name, e.Shape)).ToList();

    /// <summary>How many problems an error lists before summarising the rest as a count.</summary>
    internal const int MaxListedProblems = 20;

    /// <summary>
    /// Checks that <paramref name="source"/> holds every array <paramref name="options"/> needs, with
    /// the right shape, without reading values or building the model: the first thing loading does,
    /// so that wrong options are reported before any memory is sized by them.
    /// </summary>
    /// <exception cref="WeightFormatException">Names are missing or shapes differ; the message lists them.</exception>
    public static void CheckShapes(ElmoOptions options, IWeightSource source)
    {
        var problems = new List<string>();
        int count = 0;
        foreach (Entry entry in Entries(options, network: null))
        {
            long[]? shape = source.TryGetShape(entry.Name);
            string? problem = shape is null ? $"missing '{entry.Name}' (expected shape {WeightArray.FormatShape(entry.Shape)})"
                : !shape.SequenceEqual(entry.Shape) ? $"'{entry.Name}' has shape {WeightArray.FormatShape(shape)}, expected {WeightArray.FormatShape(entry.Shape)}"
                : null;
            if (problem is null) continue;
            count++;
            if (problems.Count < MaxListedProblems) problems.Add(problem);
        }
        if (count == 0) return;
        string more = count > problems.Count ? $"; and {count - problems.Count} more" : "";
        throw new WeightFormatException(
            $"'{source.Path}' does not match the ELMo options ({count} problem{(count == 1 ? "" : "s")}): {string.Join("; ", problems)}{more}. " +
            "Check that the options file belongs to this weight file.") { FilePath = source.Path };
    }

    /// <summary>Copies the weights from <paramref name="source"/> into <paramref name="network"/>.</summary>
    /// <exception cref="WeightFormatException">Names are missing or shapes differ; the message lists all of them.</exception>
    public static void Load(ElmoBiLm network, IWeightSource source)
    {
        CheckShapes(network.Options, source);
        List<Entry> entries = Entries(network.Options, network);
        using var noGrad = no_grad();
        foreach (Entry entry in entries)
        {
            WeightArray array = source.Read(entry.Name);
            using var scope = NewDisposeScope();
            Tensor stored = tensor(array.Data, array.Shape);
            entry.Assign!(stored);
        }
    }

    /// <summary>The bi-LM's weights in the stored (TensorFlow) layouts, by bilm-tf name.</summary>
    public static IEnumerable<WeightArray> Export(ElmoBiLm network)
    {
        using var noGrad = no_grad();
        foreach (Entry entry in Entries(network.Options, network))
        {
            using var scope = NewDisposeScope();
            Tensor value = entry.Export!().to_type(ScalarType.Float32).contiguous().cpu();
            yield return new WeightArray(entry.Name, entry.Shape, value.data<float>().ToArray());
        }
    }

    private sealed record Entry(string Name, long[] Shape, Action<Tensor>? Assign, Func<Tensor>? Export = null);

    private static List<Entry> Entries(ElmoOptions options, ElmoBiLm? network)
    {
        var entries = new List<Entry>();
        CharCnnOptions cnn = options.CharCnn;
        int d = cnn.EmbeddingDim, f = options.NumFilters, p = options.Lstm.ProjectionDim, c = options.Lstm.Dim;
        CharCnnEncoder? encoder = network?.TokenEncoder;

        // The file has no row for the padding id 0; it stays zero.
        entries.Add(new Entry("char_embed", [cnn.NumCharacters - 1, d],
            encoder is null ? null : t => Copy(encoder.CharEmbedding.narrow(0, 1, cnn.NumCharacters - 1), t),
            () => encoder!.CharEmbedding.narrow(0, 1, cnn.NumCharacters - 1)));

        for (int i = 0; i < cnn.Filters.Count; i++)
        {
            int index = i;
            var (width, count) = cnn.Filters[i];
            // TF conv kernels are [1, width, D, count]; Conv1d wants [count, D, width].
            entries.Add(new Entry($"CNN/W_cnn_{i}", [1, width, d, count],
                encoder is null ? null : t => Copy(encoder.Convolutions[index].weight!, t[0].permute(2, 1, 0)),
                () => encoder!.Convolutions[index].weight!.permute(2, 1, 0).unsqueeze(0)));
            entries.Add(new Entry($"CNN/b_cnn_{i}", [count],
                encoder is null ? null : t => Copy(encoder.Convolutions[index].bias!, t),
                () => encoder!.Convolutions[index].bias!));
        }

        for (int h = 0; h < cnn.NumHighway; h++)
        {
            int index = h;
            // TF stores x·W kernels [in, out]; Linear wants [out, in].
            entries.Add(new Entry($"CNN_high_{h}/W_carry", [f, f], encoder is null ? null : t => Copy(encoder.Highways[index].Carry.weight!, t.t()), () => encoder!.Highways[index].Carry.weight!.t()));
            entries.Add(new Entry($"CNN_high_{h}/b_carry", [f], encoder is null ? null : t => Copy(encoder.Highways[index].Carry.bias!, t), () => encoder!.Highways[index].Carry.bias!));
            entries.Add(new Entry($"CNN_high_{h}/W_transform", [f, f], encoder is null ? null : t => Copy(encoder.Highways[index].Transform.weight!, t.t()), () => encoder!.Highways[index].Transform.weight!.t()));
            entries.Add(new Entry($"CNN_high_{h}/b_transform", [f], encoder is null ? null : t => Copy(encoder.Highways[index].Transform.bias!, t), () => encoder!.Highways[index].Transform.bias!));
        }

        entries.Add(new Entry("CNN_proj/W_proj", [f, p], encoder is null ? null : t => Copy(encoder.Projection.weight!, t.t()), () => encoder!.Projection.weight!.t()));
        entries.Add(new Entry("CNN_proj/b_proj", [p], encoder is null ? null : t => Copy(encoder.Projection.bias!, t), () => encoder!.Projection.bias!));

        for (int direction = 0; direction < 2; direction++)
        {
            for (int layer = 0; layer < options.Lstm.NumLayers; layer++)
            {
                ProjectedLstm? lstm = network?.Lstm(direction, layer);
                string prefix = LstmPrefix(direction, layer);
                // W_0 rows are [x; m_prev]; split them into the input and recurrent halves.
                entries.Add(new Entry($"{prefix}/W_0", [2 * p, 4 * c], lstm is null ? null : t =>
                {
                    Copy(lstm.InputWeight, t.narrow(0, 0, p).t());
                    Copy(lstm.RecurrentWeight, t.narrow(0, p, p).t());
                }, () => cat([lstm!.InputWeight.t(), lstm.RecurrentWeight.t()], 0)));
                entries.Add(new Entry($"{prefix}/B", [4 * c], lstm is null ? null : t => Copy(lstm.Bias, t), () => lstm!.Bias));
                entries.Add(new Entry($"{prefix}/W_P_0", [c, p], lstm is null ? null : t => Copy(lstm.ProjectionWeight, t.t()), () => lstm!.ProjectionWeight.t()));
            }
        }
        return entries;
    }

    private static void Copy(Tensor target, Tensor value) => target.copy_(value.to(target.device));
}
