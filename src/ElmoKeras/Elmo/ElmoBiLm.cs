using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// The bidirectional language model: the character encoder feeding a forward and a backward stack
/// of projected LSTMs. The directions never mix; layer l of a direction reads layer l−1 of the same
/// direction. Returns every output layer with the sentence boundary tokens still in place.
/// </summary>
internal sealed class ElmoBiLm : nn.Module
{
    private readonly ElmoOptions options;
    private readonly CharCnnEncoder tokenEncoder;
    private readonly ModuleList<ProjectedLstm> forwardLayers;
    private readonly ModuleList<ProjectedLstm> backwardLayers;

    public ElmoBiLm(ElmoOptions options) : base("elmo_bilm")
    {
        this.options = options;
        tokenEncoder = new CharCnnEncoder(options);
        int p = options.Lstm.ProjectionDim;
        forwardLayers = new ModuleList<ProjectedLstm>(Enumerable.Range(0, options.Lstm.NumLayers).Select(_ => new ProjectedLstm(p, options.Lstm)).ToArray());
        backwardLayers = new ModuleList<ProjectedLstm>(Enumerable.Range(0, options.Lstm.NumLayers).Select(_ => new ProjectedLstm(p, options.Lstm)).ToArray());
        RegisterComponents();
    }

    public ElmoOptions Options => options;

    /// <summary>
    /// Dropout rate on every LSTM layer's input in training mode (bilm-tf's <c>DropoutWrapper</c>,
    /// outside the residual, so the skip connection adds the dropped input too). Zero for inference.
    /// </summary>
    public double InputDropout { get; set; }
    public CharCnnEncoder TokenEncoder => tokenEncoder;

    /// <summary>The LSTM of <paramref name="direction"/> (0 forward, 1 backward) and <paramref name="layer"/>.</summary>
    public ProjectedLstm Lstm(int direction, int layer) => direction == 0 ? forwardLayers[layer] : backwardLayers[layer];

    /// <summary>
    /// Runs the bi-LM over a prepared batch.
    /// </summary>
    /// <param name="batch">Token ids with boundaries, on this module's device, rows sorted by length.</param>
    /// <param name="initial">Per direction and layer starting states in sorted row order (index direction * layers + layer), or null for zeros.</param>
    /// <param name="tokenVectors">The distinct tokens' vectors [U, P] when the caller has them (from a token cache), or null to run the CNN.</param>
    /// <returns>Output layers [T+2, B, 2P] each (time-major, sorted rows, token layer first) and the final states.</returns>
    public (Tensor[] Layers, LstmState[] Final) Forward(ElmoBatchTensors batch, IReadOnlyList<LstmState>? initial, Tensor? tokenVectors = null)
    {
        using var scope = NewDisposeScope();
        int numLayers = options.Lstm.NumLayers;
        // The CNN runs once per distinct token of the batch; positions then pick their row.
        // The LSTMs take float32 whatever the weights' type (they round only their matrix products).
        Tensor unique = (tokenVectors ?? tokenEncoder.call(batch.CharacterIds)).to_type(ScalarType.Float32); // [U, P]
        long t = batch.TokenIndex.shape[0], b = batch.TokenIndex.shape[1];
        Tensor tokens = unique.index_select(0, batch.TokenIndex.reshape(-1)).reshape(t, b, -1);   // [T', B, P]

        var layers = new Tensor[numLayers + 1];
        layers[0] = cat([tokens, tokens], 2);
        var finals = new LstmState[2 * numLayers];
        var directionOutputs = new Tensor[2, numLayers];
        // The backward LSTM reads each row reversed within its own length, never across padding.
        Tensor[] inputs = [tokens, ReverseWithinLength(tokens, batch.ReverseIndex)];
        for (int layer = 0; layer < numLayers; layer++)
        {
            if (InputDropout > 0 && training)
                for (int direction = 0; direction < 2; direction++) inputs[direction] = nn.functional.dropout(inputs[direction], InputDropout, training: true);
            // A layer's two directions share their rows' lengths, so they run as one recurrence.
            var results = ProjectedLstm.RunTogether([Lstm(0, layer), Lstm(1, layer)], inputs, batch.Steps,
                initial is null ? null : [initial[layer], initial[numLayers + layer]]);
            for (int direction = 0; direction < 2; direction++)
            {
                var (output, final) = results[direction];
                finals[direction * numLayers + layer] = final;
                // Residual on the output only; the recurrence above used the plain projection.
                if (layer > 0 && options.Lstm.UseSkipConnections) output = output.Plus(inputs[direction]);
                directionOutputs[direction, layer] = output;
                inputs[direction] = output;
            }
        }
        for (int layer = 0; layer < numLayers; layer++)
        {
            Tensor backward = ReverseWithinLength(directionOutputs[1, layer], batch.ReverseIndex);
            layers[layer + 1] = cat([directionOutputs[0, layer], backward], 2);
        }
        foreach (Tensor layer in layers) layer.MoveToOuterDisposeScope();
        foreach (LstmState state in finals) { state.Cell.MoveToOuterDisposeScope(); state.Hidden.MoveToOuterDisposeScope(); }
        return (layers, finals);
    }

    /// <summary>Reverses time-major <paramref name="x"/> [T, B, D] within each row's length (padding stays put).</summary>
    internal static Tensor ReverseWithinLength(Tensor x, Tensor reverseIndex) =>
        x.gather(0, reverseIndex.unsqueeze(2).expand(x.shape[0], x.shape[1], x.shape[2]));
}
