using ElmoKeras.Elmo;
using TorchSharp;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.ElmoLayer;

/// <summary>
/// What TF Hub's ELMo module computes on top of the bi-LM: the scalar mix and the outputs
/// (<c>default</c>, <c>elmo</c>, <c>word_emb</c>, <c>lstm_outputs1/2</c>).
/// </summary>
internal sealed class ElmoHead : nn.Module
{
    private readonly ScalarMix mix;
    private readonly int projectionDim;

    public ElmoHead(ElmoOptions options, bool layerNorm, bool defaultIncludesGamma) : base("elmo_head")
    {
        mix = new ScalarMix(options.NumOutputLayers, layerNorm);
        projectionDim = options.Lstm.ProjectionDim;
        DefaultIncludesGamma = defaultIncludesGamma;
        RegisterComponents();
    }

    public ScalarMix Mix => mix;

    /// <summary>Whether <see cref="ElmoOutput.Default"/> is pooled from γ·mix (true) or the mix without γ.</summary>
    public bool DefaultIncludesGamma { get; }

    /// <summary>
    /// Whether <see cref="ElmoOutput.Default"/> is a linear function of per-layer token means, so
    /// those means can be computed once and cached while the bi-LM is frozen.
    /// </summary>
    public bool DefaultIsLinearInLayerMeans => !mix.LayerNorm;

    /// <summary>The selected output from the bi-LM's layers [B, L, T, 2P] and mask [B, T].</summary>
    public Tensor Compute(ElmoOutput output, Tensor layers, Tensor mask)
    {
        using var scope = NewDisposeScope();
        Tensor result = output switch
        {
            ElmoOutput.Default when DefaultIsLinearInLayerMeans => FromLayerMeans(LayerMeans(layers, mask)),
            ElmoOutput.Default => MaskedMean(DefaultIncludesGamma ? mix.call(layers, mask) : mix.Weighted(layers, mask), mask),
            ElmoOutput.Elmo => mix.call(layers, mask),
            ElmoOutput.WordEmb => layers.select(1, 0).narrow(2, 0, projectionDim),
            ElmoOutput.LstmOutputs1 => Layer(layers, 1),
            ElmoOutput.LstmOutputs2 => Layer(layers, 2),
            _ => throw new ArgumentOutOfRangeException(nameof(output), output, null),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="ElmoOutput.Default"/> from per-layer means [B, L, 2P] (see <see cref="LayerMeans"/>).</summary>
    public Tensor FromLayerMeans(Tensor means)
    {
        using var scope = NewDisposeScope();
        return (DefaultIncludesGamma ? mix.call(means, null) : mix.Weighted(means, null)).MoveToOuterDisposeScope();
    }

    /// <summary>Each layer's mean over real tokens: [B, L, T, D] → [B, L, D]; rows without tokens give zeros.</summary>
    public static Tensor LayerMeans(Tensor layers, Tensor mask)
    {
        using var scope = NewDisposeScope();
        Tensor weight = mask.to_type(layers.dtype);                                        // [B, T]
        Tensor count = weight.sum(1).AtLeast(1).reshape(-1, 1, 1);                       // [B, 1, 1]
        Tensor sum = (layers * weight.unsqueeze(1).unsqueeze(3)).sum(2);                   // [B, L, D]
        return (sum / count).MoveToOuterDisposeScope();
    }

    private static Tensor MaskedMean(Tensor values, Tensor mask)
    {
        Tensor weight = mask.to_type(values.dtype);
        return (values * weight.unsqueeze(2)).sum(1) / weight.sum(1, keepdim: true).AtLeast(1);
    }

    private static Tensor Layer(Tensor layers, int index)
    {
        if (layers.shape[1] <= index)
            throw new InvalidOperationException($"lstm_outputs{index} needs an ELMo with at least {index} LSTM layers; this one has {layers.shape[1] - 1}.");
        return layers.select(1, index);
    }
}
