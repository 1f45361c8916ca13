using ElmoKeras.Weights;
using static TorchSharp.torch;

namespace ElmoKeras;

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
    /// layer names). All or nothing: every weight is read and checked (names, shapes, checksums,
    /// finite values) before the first one changes, so a failed load leaves the model as it was.
    /// </summary>
    /// <param name="path">The HDF5 file.</param>
    /// <param name="expectedSha256">The file's SHA-256 as 64 hex digits, checked before it is parsed; null to skip.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException"><paramref name="expectedSha256"/> is not 64 hex digits.</exception>
    /// <exception cref="WeightFormatException">The hash differs, the file is corrupt, or it does not match the model.</exception>
    public void LoadWeights(string path, string? expectedSha256 = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using Hdf5WeightSource source = Hdf5WeightSource.Open(path, expectedSha256);
        var problems = new List<string>();
        foreach (Weight weight in Weights)
        {
            long[]? shape = source.TryGetShape(weight.Path);
            if (shape is null) problems.Add($"missing '{weight.Path}'");
            else if (!shape.SequenceEqual(weight.Shape)) problems.Add($"'{weight.Path}' has shape {WeightArray.FormatShape(shape)}, the model needs {WeightArray.FormatShape(weight.Shape)}");
        }
        if (problems.Count > 0)
            throw new WeightFormatException($"'{path}' does not fit model '{Name}' ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): {string.Join("; ", problems.Take(20))}{(problems.Count > 20 ? "; …" : "")}.") { FilePath = path };
        // Read everything first: a corrupt dataset found half-way must not leave earlier weights replaced.
        var values = Weights.Select(w => (Weight: w, Array: source.Read(w.Path))).ToList();
        using var noGrad = no_grad();
        foreach (var (weight, array) in values)
        {
            using Tensor value = tensor(array.Data, array.Shape);
            weight.Parameter.copy_(value);
        }
        foreach (Layer layer in Layers) layer.OnWeightsChanged();
    }
}
