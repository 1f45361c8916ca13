using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>
/// One input's or the labels' data inside a Fit/Evaluate/Predict call, sliced into batches by example
/// index. Owns the tensor it holds (made from an array, or an alias of the caller's tensor), so the
/// call that created it disposes it when it returns.
/// </summary>
internal sealed class BatchSource : IDisposable
{
    private readonly Tensor? tensor;

    private BatchSource(string[]? strings, string[][]? tokens, Tensor? tensor, int count)
    {
        Strings = strings;
        Tokens = tokens;
        this.tensor = tensor;
        Count = count;
    }

    public int Count { get; }
    public bool IsText => tensor is null;
    public string[]? Strings { get; }
    public string[][]? Tokens { get; }

    public static BatchSource From(ModelData data, string what)
    {
        return data.Value switch
        {
            string[] s => new BatchSource(s, null, null, s.Length),
            string[][] t => new BatchSource(null, t, null, t.Length),
            float[] f => Own(tensor(f)),
            float[,] f => Own(tensor(f)),
            double[] d => Convert(tensor(d), ScalarType.Float32),
            int[] i => Own(tensor(i)),
            int[,] i => Convert(tensor(i), ScalarType.Int64),
            long[] l => Own(tensor(l)),
            long[,] l => Own(tensor(l)),
            Tensor t => Own(t.alias()),
            ModelData[] => throw new ArgumentException($"{what} holds one value per input, but this part must be a single input's data.", what),
            _ => throw new ArgumentException($"{what} of form {data.Form} is not supported.", what),
        };

        static BatchSource Convert(Tensor raw, ScalarType type)
        {
            using (raw) return Own(raw.to_type(type));
        }

        // Detached from any caller's dispose scope: this source's Dispose is its only owner.
        static BatchSource Own(Tensor t) => new(null, null, t.DetachFromDisposeScope(), (int)t.shape[0]);
    }

    /// <summary>The examples at <paramref name="indices"/> as a layer value (tensors on <paramref name="device"/>).</summary>
    public LayerValue Take(int[] indices, Device device)
    {
        if (Strings is not null) return LayerValue.FromStrings(indices.Select(i => Strings[i]).ToArray());
        if (Tokens is not null) return LayerValue.FromTokens(indices.Select(i => Tokens[i]).ToArray());
        using Tensor index = TorchSharp.torch.tensor(indices.Select(i => (long)i).ToArray(), device: tensor!.device);
        return LayerValue.FromTensor(tensor.index_select(0, index).to(device));
    }

    /// <summary>Labels at <paramref name="indices"/> as a tensor of <paramref name="type"/>.</summary>
    public Tensor TakeLabels(int[] indices, ScalarType type, Device device)
    {
        if (tensor is null) throw new ArgumentException("Labels must be numeric (float[], int[], float[,] or a Tensor), not text.");
        using Tensor index = TorchSharp.torch.tensor(indices.Select(i => (long)i).ToArray(), device: tensor.device);
        using Tensor picked = tensor.index_select(0, index);
        return picked.to(type, device);
    }

    /// <summary>The element type of the data as a model input sees it.</summary>
    public DType DType => tensor is null ? DType.String : tensor.dtype is ScalarType.Int64 or ScalarType.Int32 ? DType.Int64 : DType.Float32;

    /// <summary>The shape per example (without the batch dimension), for checks.</summary>
    public long[] ExampleShape => tensor is null ? [] : tensor.shape[1..];

    public void Dispose() => tensor?.Dispose();
}
