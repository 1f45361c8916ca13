using static TorchSharp.torch;

namespace ElmoKeras.Layers;

/// <summary>
/// Long short-term memory over [batch, steps, features], mask-aware. Weights are TorchSharp's
/// (<c>weight_ih_l0</c> [4u, in], <c>weight_hh_l0</c> [4u, u], two biases [4u]; gates i, f, g, o),
/// so the parameter count is Keras's plus one extra bias of 4u.
/// </summary>
public sealed class LSTM(int units, bool returnSequences = false, string? name = null) : RecurrentLayer(units, returnSequences, name)
{
    internal override nn.Module CreateModule(long inputSize, bool bidirectional) =>
        nn.LSTM(inputSize, Units, numLayers: 1, bias: true, batchFirst: true, bidirectional: bidirectional);
}
