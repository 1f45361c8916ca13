using ElmoKeras.Elmo;

namespace ElmoCli.Serve;

/// <summary>
/// Turns one sentence's layers [layers, tokens, width] into the requested output, on the host. The
/// scalar mix is the model's trained one when it has one (a TF Hub module), else an even mix with
/// γ = 1: what <c>ElmoEmbeddingLayer</c> starts from, so <c>default</c> equals its pooled output.
/// </summary>
internal sealed class OutputComputer
{
    private readonly float[] mix;
    private readonly int lstmLayers;
    private readonly int projectionDim;

    public OutputComputer(ElmoModel model)
    {
        ScalarMixValues values = model.PretrainedMix ?? new ScalarMixValues(new float[model.NumLayers], 1f);
        double[] exp = values.Weights.Select(w => Math.Exp(w - values.Weights.Max())).ToArray();
        double sum = exp.Sum();
        mix = exp.Select(e => (float)(values.Gamma * e / sum)).ToArray();
        lstmLayers = model.Options.Lstm.NumLayers;
        projectionDim = model.Options.Lstm.ProjectionDim;
    }

    /// <summary>Whether this model has the layers <paramref name="output"/> needs.</summary>
    /// <exception cref="ApiProblem">422 when it does not.</exception>
    public void Check(ServedOutput output)
    {
        int needed = output switch { ServedOutput.LstmOutputs1 => 1, ServedOutput.LstmOutputs2 => 2, _ => 0 };
        if (needed > lstmLayers)
            throw ApiProblem.Unprocessable($"\"output\": \"{ServedOutputs.Name(output)}\" needs an ELMo with at least {needed} LSTM layers; this one has {lstmLayers}.", lstmLayers);
    }

    public ServedVectors Compute(ServedOutput output, float[,,] layers)
    {
        int numLayers = layers.GetLength(0), tokens = layers.GetLength(1), width = layers.GetLength(2);
        switch (output)
        {
            case ServedOutput.All:
            {
                var all = new float[layers.Length];
                Buffer.BlockCopy(layers, 0, all, 0, all.Length * sizeof(float));
                return new(all, [numLayers, tokens, width]);
            }
            case ServedOutput.LstmOutputs1 or ServedOutput.LstmOutputs2:
                return new(Layer(layers, output == ServedOutput.LstmOutputs1 ? 1 : 2), [tokens, width]);
            case ServedOutput.WordEmb:
            {
                // The token layer repeats the projection for both directions; TF Hub gives one copy.
                var words = new float[tokens * projectionDim];
                for (int t = 0; t < tokens; t++)
                    for (int d = 0; d < projectionDim; d++) words[t * projectionDim + d] = layers[0, t, d];
                return new(words, [tokens, projectionDim]);
            }
            case ServedOutput.Elmo:
            {
                var mixed = new float[tokens * width];
                for (int l = 0; l < numLayers; l++)
                    for (int t = 0; t < tokens; t++)
                        for (int d = 0; d < width; d++) mixed[t * width + d] += mix[l] * layers[l, t, d];
                return new(mixed, [tokens, width]);
            }
            default:
            {
                // Mean of the mix over real tokens = the mix of each layer's mean (as ElmoEmbeddingLayer pools).
                var pooled = new double[width];
                for (int l = 0; l < numLayers; l++)
                    for (int t = 0; t < tokens; t++)
                        for (int d = 0; d < width; d++) pooled[d] += (double)mix[l] * layers[l, t, d];
                return new(pooled.Select(v => (float)(v / Math.Max(1, tokens))).ToArray(), [width]);
            }
        }
    }

    private static float[] Layer(float[,,] layers, int index)
    {
        int tokens = layers.GetLength(1), width = layers.GetLength(2);
        var result = new float[tokens * width];
        Buffer.BlockCopy(layers, index * tokens * width * sizeof(float), result, 0, result.Length * sizeof(float));
        return result;
    }
}
