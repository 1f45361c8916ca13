using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>
/// Gated recurrent unit over [batch, steps, features], mask-aware. Weights are TorchSharp's
/// (<c>weight_ih_l0</c> [3u, in], <c>weight_hh_l0</c> [3u, u], two biases [3u]; gates r, z, n),
/// the layout of Keras's <c>reset_after=True</c> GRU.
/// </summary>
public sealed class GRU(int units, bool returnSequences = false, string? name = null) : RecurrentLayer(units, returnSequences, name)
{
    internal override nn.Module CreateModule(long inputSize, bool bidirectional) =>
        nn.GRU(inputSize, Units, numLayers: 1, bias: true, batchFirst: true, bidirectional: bidirectional);
}
