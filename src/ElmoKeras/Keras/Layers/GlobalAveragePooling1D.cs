using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Layers;

/// <summary>Mean over the time axis of [batch, steps, features], counting only unmasked steps.</summary>
public sealed class GlobalAveragePooling1D(string? name = null) : GlobalPooling1D(name)
{
    /// <inheritdoc/>
    protected override Tensor Pool(Tensor x, Tensor? mask)
    {
        if (mask is null) return x.mean([1]);
        Tensor weight = mask.to_type(x.dtype).unsqueeze(2);
        return (x * weight).sum(1) / weight.sum(1).AtLeast(1);
    }
}
