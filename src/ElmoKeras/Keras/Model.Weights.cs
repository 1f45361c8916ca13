using ElmoKeras.Weights;
using static TorchSharp.torch;

namespace ElmoKeras.Keras;

public sealed partial class Model
{
    /// <summary>
    /// Writes every weight to an HDF5 file, one float32 dataset per weight named
    /// <c>layer_name/weight_name</c>. Written under a temporary name, renamed when complete.
    /// </summary>
    public void SaveWeights(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var arrays = Weights.Select(w =>
        {
            using var scope = NewDisposeScope();
            return new WeightArray(w.Path, w.Shape, w.Parameter.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray());
        }).ToList();
        Hdf5WeightWriter.Write(path, arrays);
    }

    /// <summary>
    /// Loads weights written by <see cref="SaveWeights"/> into this model (same architecture and
    /// layer names). Every missing or misshapen weight is reported in one error before anything changes.
    /// </summary>
    /// <exception cref="WeightFormatException">The file does not match the model.</exception>
    public void LoadWeights(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using Hdf5WeightSource source = Hdf5WeightSource.Open(path);
        var problems = new List<string>();
        foreach (Weight weight in Weights)
        {
            long[]? shape = source.TryGetShape(weight.Path);
            if (shape is null) problems.Add($"missing '{weight.Path}'");
            else if (!shape.SequenceEqual(weight.Shape)) problems.Add($"'{weight.Path}' has shape {WeightArray.FormatShape(shape)}, the model needs {WeightArray.FormatShape(weight.Shape)}");
        }
        if (problems.Count > 0)
            throw new WeightFormatException($"'{path}' does not fit model '{Name}': {string.Join("; ", problems)}.") { FilePath = path };
        using var noGrad = no_grad();
        foreach (Weight weight in Weights)
        {
            WeightArray array = source.Read(weight.Path);
            using Tensor value = tensor(array.Data, array.Shape);
            weight.Parameter.copy_(value);
        }
        foreach (Layer layer in Layers) layer.OnWeightsChanged();
    }
}
