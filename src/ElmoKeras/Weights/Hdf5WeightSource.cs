using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoKeras.Weights;

/// <summary>
/// Reads float arrays from an HDF5 file, such as bilm-tf's <c>dump_weights</c> output
/// (<c>lm_weights.hdf5</c>) or AllenNLP's published <c>elmo_*_weights.hdf5</c>.
/// Names are slash-separated dataset paths without the leading slash.
/// </summary>
public sealed class Hdf5WeightSource : IWeightSource
{
    private static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1a, (byte)'\n'];

    private readonly NativeFile file;
    private readonly Dictionary<string, IH5Dataset> datasets = new(StringComparer.Ordinal);
    private bool disposed;

    private Hdf5WeightSource(string path, NativeFile file)
    {
        Path = path;
        this.file = file;
        Collect(file, prefix: "");
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> Names => datasets.Keys;

    /// <summary>Opens an HDF5 file for reading.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightFormatException">The file is not HDF5 or cannot be parsed.</exception>
    public static Hdf5WeightSource Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weight file '{path}' does not exist.", path);
        if (!HasSignature(path))
            throw new WeightFormatException($"'{path}' is not an HDF5 file: the HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) is missing. Expected an ELMo weight file such as lm_weights.hdf5.") { FilePath = path };
        NativeFile? file = null;
        try
        {
            file = H5File.OpenRead(path);
            return new Hdf5WeightSource(path, file);
        }
        catch (Exception ex) when (ex is not WeightFormatException and not OutOfMemoryException)
        {
            file?.Dispose();
            throw new WeightFormatException($"'{path}' could not be read as HDF5: {ex.Message}", ex) { FilePath = path };
        }
    }

    /// <inheritdoc/>
    public long[]? TryGetShape(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return datasets.TryGetValue(name, out IH5Dataset? dataset) ? ShapeOf(dataset) : null;
    }

    /// <inheritdoc/>
    public WeightArray Read(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!datasets.TryGetValue(name, out IH5Dataset? dataset))
            throw new WeightFormatException($"'{Path}' has no dataset '{name}'.") { FilePath = Path };
        long[] shape = ShapeOf(dataset);
        try
        {
            float[] data = dataset.Type.Class switch
            {
                H5DataTypeClass.FloatingPoint when dataset.Type.Size == 4 => dataset.Read<float[]>(),
                H5DataTypeClass.FloatingPoint when dataset.Type.Size == 8 => Array.ConvertAll(dataset.Read<double[]>(), v => (float)v),
                _ => throw new WeightFormatException($"'{Path}' dataset '{name}' holds {dataset.Type.Class} values of {dataset.Type.Size} bytes; expected 32- or 64-bit floats.") { FilePath = Path },
            };
            long expected = shape.Aggregate(1L, (a, b) => a * b);
            if (data.Length != expected)
                throw new WeightFormatException($"'{Path}' dataset '{name}' has {data.Length} values for shape {WeightArray.FormatShape(shape)}; expected {expected}.") { FilePath = Path };
            return new WeightArray(name, shape, data);
        }
        catch (Exception ex) when (ex is not WeightFormatException and not OutOfMemoryException)
        {
            throw new WeightFormatException($"'{Path}' dataset '{name}' could not be read: {ex.Message}", ex) { FilePath = Path };
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        file.Dispose();
    }

    private void Collect(IH5Group group, string prefix)
    {
        foreach (IH5Object child in group.Children())
        {
            string name = prefix.Length == 0 ? child.Name : prefix + "/" + child.Name;
            switch (child)
            {
                case IH5Dataset dataset: datasets[name] = dataset; break;
                case IH5Group subgroup: Collect(subgroup, name); break;
            }
        }
    }

    private static long[] ShapeOf(IH5Dataset dataset) => dataset.Space.Dimensions.Select(d => (long)d).ToArray();

    private static bool HasSignature(string path)
    {
        // HDF5 allows a user block before the superblock: the signature may sit at 0, 512, 1024, 2048, ...
        using FileStream stream = File.OpenRead(path);
        Span<byte> buffer = stackalloc byte[8];
        for (long offset = 0; offset + 8 <= stream.Length; offset = offset == 0 ? 512 : offset * 2)
        {
            stream.Position = offset;
            stream.ReadExactly(buffer);
            if (buffer.SequenceEqual(Signature)) return true;
        }
        return false;
    }
}
