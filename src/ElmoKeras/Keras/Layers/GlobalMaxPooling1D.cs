using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Layers;

/// <summary>Maximum over the time axis of [batch, steps, features], over unmasked steps only.</summary>
public sealed class GlobalMaxPooling1D(string? name = null) : GlobalPooling1D(name)
{
    /// <inheritdoc/>
    protected override Tensor Pool(Tensor x, Tensor? mask)
    {
        Tensor result = mask is null ? x.amax(1) : x.FilledWhere(mask.logical_not().unsqueeze(2), double.NegativeInfinity).amax(1);
        // A row with no real step has no maximum; give zeros rather than -inf.
        return result.FilledWhere(result.isneginf(), 0);
    }
}
