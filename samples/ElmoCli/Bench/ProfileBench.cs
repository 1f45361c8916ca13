using System.Diagnostics;
using System.Text.Json;
using ElmoKeras.Elmo;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoCli.Bench;

/// <summary>
/// Where one batch's time goes: the character CNN over its distinct tokens, and for every LSTM
/// the input half of the gates (one product over all steps), the recurrent products alone (the
/// same [4C, P]·[P, rows] product once per step), and the rest of its step loop (gate math,
/// projection, bookkeeping). Each part is timed on its own, best of a few repeats, on the batch of
/// the bench's reviews with the most padded tokens.
/// </summary>
internal static class ProfileBench
{
    private const int Repeats = 3;

    public static ProfileResult Run(ElmoModel elmo, BenchSettings settings, CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads);
        string[][] sentences = BenchJob.LoadSentences(settings.ImdbSource, settings.Count, settings.MaxTokens);
        int batchSize = settings.BatchSize ?? 32;
        int[] batch = LengthBuckets.Batches(sentences.Select(s => s.Length).ToArray(), batchSize).MaxBy(b => b.Length * b.Max(i => sentences[i].Length))!;
        ElmoBatch prepared = elmo.CreateBatch(batch.Select(i => (IReadOnlyList<string>)sentences[i]).ToArray());
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        ElmoBatchTensors tensors = prepared.ToTensors(elmo.Device);
        ElmoBiLm network = elmo.Network;

        double cnn = Best(() => network.TokenEncoder.call(tensors.CharacterIds).Dispose(), cancellationToken);
        Tensor unique = network.TokenEncoder.call(tensors.CharacterIds).to_type(ScalarType.Float32);
        long steps = tensors.TokenIndex.shape[0], rows = tensors.TokenIndex.shape[1];
        Tensor input = unique.index_select(0, tensors.TokenIndex.reshape(-1)).reshape(steps, rows, -1);

        var lstms = new List<LstmProfile>();
        for (int direction = 0; direction < 2; direction++)
        {
            Tensor layerInput = input;
            for (int layer = 0; layer < elmo.Options.Lstm.NumLayers; layer++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ProjectedLstm lstm = network.Lstm(direction, layer);
                Tensor x = layerInput;
                double total = Best(() => { var (o, f) = lstm.call(x, tensors.Steps, null); o.Dispose(); f.Dispose(); }, cancellationToken);
                Tensor flat = x.to_type(lstm.InputWeight.dtype).reshape(steps * rows, -1).t();
                double inputProduct = Best(() => lstm.InputWeight.mm(flat).Dispose(), cancellationToken);
                // The recurrent product at each step's running row count (rows sorted longest first).
                int[] running = Enumerable.Range(0, (int)steps).Select(t => tensors.Steps.Count(s => s > t)).ToArray();
                Tensor m = zeros(elmo.Options.Lstm.ProjectionDim, rows, dtype: lstm.RecurrentWeight.dtype);
                double recurrent = Best(() => { foreach (int r in running) lstm.RecurrentWeight.mm(m.narrow(1, 0, r)).Dispose(); }, cancellationToken);
                lstms.Add(new LstmProfile(direction == 0 ? "forward" : "backward", layer, Ms(total), Ms(inputProduct), Ms(recurrent), Ms(total - inputProduct - recurrent)));
                var (output, final) = lstm.call(x, tensors.Steps, null);
                final.Dispose();
                layerInput = layer > 0 && elmo.Options.Lstm.UseSkipConnections ? output + x : output;
            }
        }
        double whole = Best(() => { var (layers, finals) = network.Forward(tensors, null); foreach (Tensor l in layers) l.Dispose(); foreach (LstmState f in finals) f.Dispose(); }, cancellationToken);
        int maxLength = batch.Max(i => sentences[i].Length);
        return new ProfileResult(batch.Length, maxLength, prepared.UniqueCount, Ms(whole), Ms(cnn), lstms);
    }

    private static double Ms(double seconds) => Math.Round(seconds * 1000, 3);

    private static double Best(Action action, CancellationToken cancellationToken)
    {
        action();
        double best = double.MaxValue;
        for (int i = 0; i < Repeats; i++)
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

/// <summary>One LSTM's share of a batch, in milliseconds.</summary>
internal sealed record LstmProfile(string Direction, int Layer, double TotalMs, double InputProductMs, double RecurrentProductsMs, double GateMathProjectionAndRestMs);

/// <summary>Where one batch's time goes, as one JSON line.</summary>
internal sealed record ProfileResult(int Rows, int MaxTokens, int DistinctTokens, double WholeForwardMs, double CharacterCnnMs, IReadOnlyList<LstmProfile> Lstms)
{
    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
}
