using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>Features of one fixed size per example, held in one tensor [examples, ...].</summary>
internal sealed class TensorFeatures(Tensor all) : ICachedFeatures
{
    public int Count => (int)all.shape[0];

    public LayerValue Take(int[] batch)
    {
        using Tensor index = tensor(batch.Select(i => (long)i).ToArray(), device: all.device);
        return LayerValue.FromTensor(all.index_select(0, index));
    }

    public void Dispose() => all.Dispose();
}
