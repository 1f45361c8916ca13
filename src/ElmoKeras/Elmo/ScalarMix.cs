using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// ELMo's task-specific combination of the bi-LM layers: γ · Σ_j softmax(w)_j · h_j, with w
/// starting at zero (an even mix) and γ at one. Optionally each layer is first normalised with one
/// mean and variance over all unmasked elements of the batch, as bilm-tf's <c>weight_layers</c> does.
/// </summary>
internal sealed class ScalarMix : nn.Module<Tensor, Tensor?, Tensor>
{
    private const double LayerNormEpsilon = 1e-12;
    private readonly Parameter weights;
    private readonly Parameter gamma;
    private readonly bool layerNorm;

    public ScalarMix(int numLayers, bool layerNorm = false) : base("scalar_mix")
    {
        weights = new Parameter(zeros(numLayers));
        gamma = new Parameter(ones(1));
        this.layerNorm = layerNorm;
        RegisterComponents();
    }

    /// <summary>The unnormalised layer weights w [layers].</summary>
    public Parameter Weights => weights;

    /// <summary>The scale γ [1].</summary>
    public Parameter Gamma => gamma;

    /// <summary>Whether each layer is normalised before mixing (which makes the mix non-linear in the layers).</summary>
    public bool LayerNorm => layerNorm;

    /// <param name="layers">[B, L, ...]: layers on dimension 1, e.g. [B, L, T, D] or per-layer means [B, L, D].</param>
    /// <param name="mask">[B, T] bool; needed only for layer norm, which needs [B, L, T, D].</param>
    public override Tensor forward(Tensor layers, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        return (gamma * Weighted(layers, mask)).MoveToOuterDisposeScope();
    }

    /// <summary>Σ_j softmax(w)_j · h_j without γ (TF Hub clones pool this for <c>default</c>).</summary>
    public Tensor Weighted(Tensor layers, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        Tensor x = layers;
        if (layerNorm)
        {
            if (layers.dim() != 4) throw new ArgumentException($"Layer normalisation in the scalar mix needs layers [B, L, T, D], got {layers.dim()} dimensions.", nameof(layers));
            if (mask is null) throw new ArgumentException("Layer normalisation in the scalar mix needs the token mask.", nameof(mask));
            Tensor m = mask.to_type(x.dtype).unsqueeze(1).unsqueeze(3);            // [B, 1, T, 1]
            Tensor count = m.sum().Times(x.shape[3]);
            Tensor masked = x * m;
            Tensor mean = masked.sum([0, 2, 3], keepdim: true) / count;             // one per layer
            Tensor variance = ((masked - mean) * m).Power(2).sum([0, 2, 3], keepdim: true) / count;
            x = (x - mean) / variance.Plus(LayerNormEpsilon).sqrt();
        }
        long[] shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[1] = -1;
        Tensor normalised = nn.functional.softmax(weights, 0).reshape(shape);
        return (x * normalised).sum(1).MoveToOuterDisposeScope();
    }
}
