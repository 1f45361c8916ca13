using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

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

    /// <param name="layers">[B, L, T, D].</param>
    /// <param name="mask">[B, T] bool; needed only for layer norm.</param>
    public override Tensor forward(Tensor layers, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        Tensor x = layers;
        if (layerNorm)
        {
            if (mask is null) throw new ArgumentException("Layer normalisation in the scalar mix needs the token mask.", nameof(mask));
            Tensor m = mask.to_type(x.dtype).unsqueeze(1).unsqueeze(3);            // [B, 1, T, 1]
            Tensor count = m.sum() * x.shape[3];
            Tensor masked = x * m;
            Tensor mean = masked.sum([0, 2, 3], keepdim: true) / count;             // one per layer
            Tensor variance = ((masked - mean) * m).pow(2).sum([0, 2, 3], keepdim: true) / count;
            x = (x - mean) / (variance + LayerNormEpsilon).sqrt();
        }
        Tensor normalised = nn.functional.softmax(weights, 0).reshape(1, -1, 1, 1);
        return (gamma * (x * normalised).sum(1)).MoveToOuterDisposeScope();
    }
}
