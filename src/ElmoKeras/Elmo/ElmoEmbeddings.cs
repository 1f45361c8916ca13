using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// The bi-LM's output for one batch: every layer per token, sentence boundaries removed, padded
/// positions zero. Holds native memory: dispose it (or use <c>using</c>).
/// </summary>
public sealed class ElmoEmbeddings : IDisposable
{
    internal ElmoEmbeddings(Tensor layers, Tensor mask, int[] lengths)
    {
        Layers = layers;
        Mask = mask;
        Lengths = lengths;
    }

    /// <summary>
    /// [batch, layers, tokens, 2 × projection_dim] float32: layer 0 is the context-independent token
    /// embedding (forward and backward halves identical), layers 1.. the LSTM outputs.
    /// </summary>
    public Tensor Layers { get; }

    /// <summary>[batch, tokens] bool: true on real tokens.</summary>
    public Tensor Mask { get; }

    /// <summary>Tokens per sentence.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>Copies one sentence's layers to the host as [layers, its tokens, width].</summary>
    public float[,,] GetSentence(int index)
    {
        if ((uint)index >= (uint)Lengths.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch has {Lengths.Count} sentences.");
        int length = Lengths[index];
        // TorchSharp's accessor cannot copy an empty tensor.
        if (length == 0) return new float[Layers.shape[1], 0, Layers.shape[3]];
        using var scope = NewDisposeScope();
        Tensor slice = Layers[index].narrow(1, 0, length).contiguous().cpu();
        var result = new float[slice.shape[0], length, slice.shape[2]];
        HostSpans.Floats(slice).CopyTo(HostSpans.Of(result));
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Layers.Dispose();
        Mask.Dispose();
    }
}
