namespace ElmoKeras.Weights;

/// <summary>
/// A weight file opened for reading: an HDF5 file in the bilm-tf layout or a TensorFlow checkpoint.
/// Names are the file's own; mapping them onto model parameters is the model's job.
/// </summary>
public interface IWeightSource : IDisposable
{
    /// <summary>The path of the file (or checkpoint prefix), for error messages.</summary>
    string Path { get; }

    /// <summary>Every float array the source holds, by name.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The shape of <paramref name="name"/> without reading its values, or null when absent.</summary>
    long[]? TryGetShape(string name);

    /// <summary>Reads one array as float32.</summary>
    /// <exception cref="WeightFormatException">The array is missing, corrupt or not numeric.</exception>
    WeightArray Read(string name);
}
