using static TorchSharp.torch;

namespace ElmoKeras.Keras;

/// <summary>
/// One input's or the labels' data for Fit/Evaluate/Predict, in any of the forms the API accepts,
/// sliced into batches by example index.
/// </summary>
internal sealed class ModelData
{
    private readonly string[]? strings;
    private readonly string[][]? tokens;
    private readonly Tensor? tensor;

    private ModelData(string[]? strings, string[][]? tokens, Tensor? tensor, int count)
    {
        this.strings = strings;
        this.tokens = tokens;
        this.tensor = tensor;
        Count = count;
    }

    public int Count { get; }
    public bool IsText => tensor is null;
    public string[]? Strings => strings;
    public string[][]? Tokens => tokens;

    /// <summary>
    /// Accepts string[], string[][], float[], float[,], int[], int[,], long[,] or a Tensor (first dimension = examples).
    /// </summary>
    public static ModelData From(object data, string what)
    {
        return data switch
        {
            null => throw new ArgumentNullException(what, $"{what} is null."),
            string[] s => new ModelData(s, null, null, s.Length),
            string[][] t => new ModelData(null, t, null, t.Length),
            float[] f => Tensor(tensor(f), what),
            float[,] f => Tensor(tensor(f), what),
            double[] d => Tensor(tensor(d).to_type(ScalarType.Float32), what),
            int[] i => Tensor(tensor(i), what),
            int[,] i => Tensor(tensor(i).to_type(ScalarType.Int64), what),
            long[] l => Tensor(tensor(l), what),
            long[,] l => Tensor(tensor(l), what),
            Tensor t => Tensor(t.alias(), what),
            _ => throw new ArgumentException($"{what} of type {data.GetType().Name} is not supported; pass string[], string[][], float[], float[,], int[], int[,], long[,] or a Tensor.", what),
        };

        static ModelData Tensor(Tensor t, string what)
        {
            if (t.dim() == 0) throw new ArgumentException($"{what} is a scalar; expected one row per example.", what);
            return new ModelData(null, null, t.DetachFromDisposeScope(), (int)t.shape[0]);
        }
    }

    /// <summary>The examples at <paramref name="indices"/> as a layer value (tensors on <paramref name="device"/>).</summary>
    public LayerValue Take(int[] indices, Device device)
    {
        if (strings is not null) return LayerValue.FromStrings(indices.Select(i => strings[i]).ToArray());
        if (tokens is not null) return LayerValue.FromTokens(indices.Select(i => tokens[i]).ToArray());
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
}
