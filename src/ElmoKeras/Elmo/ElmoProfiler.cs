using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// Where one batch's time goes in an <see cref="ElmoModel"/>: the character CNN over its distinct
/// tokens, and for every LSTM layer (its two directions run as one recurrence) the input half of the
/// gates (a product per block of steps), the recurrent products alone (the same [2, 4C, P]·[2, P, rows]
/// product once per step), and the rest of its step loop (gate math, projection, bookkeeping). Each part is timed on its own, best of a few
/// repeats, in inference mode. For performance work (<c>elmo bench --profile</c>); it changes nothing.
/// </summary>
public static class ElmoProfiler
{
    /// <summary>Times the parts of one forward pass over <paramref name="batch"/>.</summary>
    /// <param name="elmo">The model.</param>
    /// <param name="batch">The sentences of one batch, as tokens.</param>
    /// <param name="repeats">Timed runs per part after one warm-up run; the best is kept.</param>
    /// <param name="cancellationToken">Stops between timed runs.</param>
    public static ElmoProfile Profile(ElmoModel elmo, IReadOnlyList<IReadOnlyList<string>> batch, int repeats = 3, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elmo);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("The batch to profile is empty.", nameof(batch));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeats);
        ElmoBatch prepared = elmo.CreateBatch(batch);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        ElmoBatchTensors tensors = prepared.ToTensors(elmo.Device);
        ElmoBiLm network = elmo.Network;
        double Best(Action action) => BestOf(action, repeats, cancellationToken);

        double cnn = Best(() => network.TokenEncoder.call(tensors.CharacterIds).Dispose());
        Tensor unique = network.TokenEncoder.call(tensors.CharacterIds).to_type(ScalarType.Float32);
        long steps = tensors.TokenIndex.shape[0], rows = tensors.TokenIndex.shape[1];
        Tensor input = unique.index_select(0, tensors.TokenIndex.reshape(-1)).reshape(steps, rows, -1);

        var lstms = new List<LstmProfile>();
        int numLayers = elmo.Options.Lstm.NumLayers;
        Tensor[] inputs = [input, ElmoBiLm.ReverseWithinLength(input, tensors.ReverseIndex)];
        for (int layer = 0; layer < numLayers; layer++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A layer's two directions run as one recurrence (ProjectedLstm.RunTogether), so they are timed together.
            ProjectedLstm[] pair = [network.Lstm(0, layer), network.Lstm(1, layer)];
            ProjectedLstm first = pair[0];
            Tensor[] x = [.. inputs];
            double total = Best(() => { foreach (var (o, f) in ProjectedLstm.RunTogether(pair, x, tensors.Steps, null)) { o.Dispose(); f.Dispose(); } });
            // The recurrent product at each step's running row count (rows sorted longest first),
            // rounded up to the columns the LSTMs compute.
            int width = first.ComputedColumns((int)rows, (int)rows, input.device_type);
            int[] running = Enumerable.Range(0, (int)steps).Select(t => first.ComputedColumns(tensors.Steps.Count(s => s > t), (int)rows, input.device_type)).ToArray();
            Tensor stacked = stack(x);
            if (width > rows) stacked = nn.functional.pad(stacked, [0, 0, 0, width - rows]);
            var (inputWeight, recurrentWeight, _, gateBias) = ProjectedLstm.StackedWeights(pair);
            int chunkSteps = first.InputChunkSteps(width);
            // The input products as the LSTMs make them: a block of steps at a time, over the rows running at its first step.
            double inputProduct = Best(() =>
            {
                for (int t = 0; t < steps; t += chunkSteps)
                    if (running[t] > 0)
                        ProjectedLstm.InputGates(inputWeight, stacked.narrow(1, t, Math.Min(chunkSteps, steps - t)).narrow(2, 0, running[t]), gateBias, first.InputWeight.dtype).Dispose();
            });
            Tensor m = zeros(2, elmo.Options.Lstm.ProjectionDim, width, dtype: first.RecurrentWeight.dtype);
            double recurrent = Best(() => { foreach (int r in running) recurrentWeight.bmm(m.narrow(2, 0, r)).Dispose(); });
            lstms.Add(new LstmProfile("both", layer, Ms(total), Ms(inputProduct), Ms(recurrent), Ms(total - inputProduct - recurrent)));
            var results = ProjectedLstm.RunTogether(pair, x, tensors.Steps, null);
            for (int direction = 0; direction < 2; direction++)
            {
                results[direction].Final.Dispose();
                Tensor output = results[direction].Output;
                inputs[direction] = layer > 0 && elmo.Options.Lstm.UseSkipConnections ? output.Plus(x[direction]) : output;
            }
        }
        double whole = Best(() => { var (layers, finals) = network.Forward(tensors, null); foreach (Tensor l in layers) l.Dispose(); foreach (LstmState f in finals) f.Dispose(); });
        return new ElmoProfile(batch.Count, batch.Max(s => s.Count), prepared.UniqueCount, Ms(whole), Ms(cnn), lstms);
    }

    private static double Ms(double seconds) => Math.Round(seconds * 1000, 3);

    private static double BestOf(Action action, int repeats, CancellationToken cancellationToken)
    {
        action();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}

/// <summary>One LSTM layer's share of a profiled batch, in milliseconds.</summary>
/// <param name="Direction"><c>both</c>: a layer's forward and backward LSTMs run as one recurrence, and are timed together.</param>
/// <param name="Layer">The layer, from 0.</param>
/// <param name="TotalMs">The whole LSTM over the batch.</param>
/// <param name="InputProductMs">The input half of the gates, one product over all steps.</param>
/// <param name="RecurrentProductsMs">The recurrent products alone, one per step.</param>
/// <param name="GateMathProjectionAndRestMs">The rest: gate math, projection, bookkeeping.</param>
public sealed record LstmProfile(string Direction, int Layer, double TotalMs, double InputProductMs, double RecurrentProductsMs, double GateMathProjectionAndRestMs);

/// <summary>Where one batch's time goes (see <see cref="ElmoProfiler"/>).</summary>
/// <param name="Rows">Sentences in the batch.</param>
/// <param name="MaxTokens">Tokens in its longest sentence.</param>
/// <param name="DistinctTokens">Distinct tokens the character CNN ran on.</param>
/// <param name="WholeForwardMs">The whole bi-LM forward pass.</param>
/// <param name="CharacterCnnMs">The character CNN.</param>
/// <param name="Lstms">Each LSTM layer's share.</param>
public sealed record ElmoProfile(int Rows, int MaxTokens, int DistinctTokens, double WholeForwardMs, double CharacterCnnMs, IReadOnlyList<LstmProfile> Lstms);
