using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoKeras.Weights;

/// <summary>
/// Reads float arrays from an HDF5 file, such as bilm-tf's <c>dump_weights</c> output
/// (<c>lm_weights.hdf5</c>) or AllenNLP's published <c>elmo_*_weights.hdf5</c>.
/// Names are slash-separated dataset paths without the leading slash.
/// </summary>
/// <remarks>
/// Hostile files are bounded: groups nest at most <see cref="MaxDepth"/> deep and at most
/// <see cref="MaxObjects"/> objects are visited (a link back to an enclosing group would otherwise
/// recurse forever); a dataset is read only when the bytes its shape needs could be stored in the
/// file; values must be finite; and a dataset carrying a <c>sha256</c> attribute (every file
/// <see cref="Hdf5WeightWriter"/> writes) must match it.
/// </remarks>
public sealed class Hdf5WeightSource : IWeightSource
{
    private static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1a, (byte)'\n'];

    /// <summary>How deep groups may nest; bilm-tf and Keras weight files use fewer than 8 levels.</summary>
    public const int MaxDepth = 32;

    /// <summary>How many groups and datasets a file may hold; published ELMo files have about 30.</summary>
    public const int MaxObjects = 100_000;

    /// <summary>Name of the attribute holding a dataset's SHA-256 (of its float32 little-endian bytes).</summary>
    internal const string ChecksumAttribute = "sha256";

    /// <summary>Name of the root attribute saying every dataset carries <see cref="ChecksumAttribute"/>.</summary>
    internal const string ChecksumsMarker = "elmokeras_checksums";

    private readonly NativeFile file;
    private readonly long fileLength;
    private readonly bool checksumsRequired;
    private int visited;
    private readonly Dictionary<string, IH5Dataset> datasets = new(StringComparer.Ordinal);
    private bool disposed;

    private Hdf5WeightSource(string path, NativeFile file)
    {
        Path = path;
        this.file = file;
        fileLength = new FileInfo(path).Length;
        checksumsRequired = file.AttributeExists(ChecksumsMarker);
        Collect(file, prefix: "", depth: 0);
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> Names => datasets.Keys;

    /// <summary>Opens an HDF5 file for reading.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightFormatException">The file is not HDF5 or cannot be parsed.</exception>
    public static Hdf5WeightSource Open(string path) => Open(path, expectedSha256: null);

    /// <summary>Opens an HDF5 file for reading after checking the whole file's SHA-256.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expectedSha256">The file's SHA-256 as 64 hex digits, or null to skip the check.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException"><paramref name="expectedSha256"/> is not 64 hex digits.</exception>
    /// <exception cref="WeightFormatException">The hash differs, or the file is not HDF5 or cannot be parsed.</exception>
    public static Hdf5WeightSource Open(string path, string? expectedSha256)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weight file '{path}' does not exist.", path);
        WeightFileHash.Verify(path, expectedSha256);
        if (!HasSignature(path))
            throw new WeightFormatException($"'{path}' is not an HDF5 file: the HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) is missing. Expected an ELMo weight file such as lm_weights.hdf5.") { FilePath = path };
        Hdf5Preflight.Check(path);
        NativeFile? file = null;
        try
        {
            file = H5File.OpenRead(path);
            return new Hdf5WeightSource(path, file);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            file?.Dispose();
            if (ex is WeightFormatException) throw;
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
            bool isFloat = dataset.Type.Class == H5DataTypeClass.FloatingPoint && dataset.Type.Size is 4 or 8;
            if (!isFloat)
                throw new WeightFormatException($"'{Path}' dataset '{name}' holds {dataset.Type.Class} values of {dataset.Type.Size} bytes; expected 32- or 64-bit floats.") { FilePath = Path };
            CheckStorage(name, dataset, shape);
            float[] data = dataset.Type.Size == 4 ? dataset.Read<float[]>() : Array.ConvertAll(dataset.Read<double[]>(), v => (float)v);
            long expected = shape.Aggregate(1L, (a, b) => a * b);
            if (data.Length != expected)
                throw new WeightFormatException($"'{Path}' dataset '{name}' has {data.Length} values for shape {WeightArray.FormatShape(shape)}; expected {expected}.") { FilePath = Path };
            var array = new WeightArray(name, shape, data);
            VerifyChecksum(dataset, array);
            FiniteValues.Require(array, Path);
            return array;
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

    private void Collect(IH5Group group, string prefix, int depth)
    {
        if (depth > MaxDepth)
            throw new WeightFormatException($"'{Path}': groups nest deeper than {MaxDepth} levels at '{prefix}'; expected a weight file (a link probably points back at an enclosing group).") { FilePath = Path };
        foreach (IH5Object child in group.Children())
        {
            if (++visited > MaxObjects)
                throw new WeightFormatException($"'{Path}' holds more than {MaxObjects} groups and datasets (links probably point back at enclosing groups); expected a weight file.") { FilePath = Path };
            string name = prefix.Length == 0 ? child.Name : prefix + "/" + child.Name;
            switch (child)
            {
                case IH5Dataset dataset: datasets[name] = dataset; break;
                case IH5Group subgroup: Collect(subgroup, name, depth + 1); break;
            }
        }
    }

    /// <summary>Refuses a dataset whose shape asks for more bytes than the file could hold, before anything is allocated.</summary>
    private void CheckStorage(string name, IH5Dataset dataset, long[] shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0 || (d > 0 && count > Array.MaxLength / d))
                throw new WeightFormatException($"'{Path}' dataset '{name}' has shape {WeightArray.FormatShape(shape)}, more than one array can hold.") { FilePath = Path };
            count *= d;
        }
        long bytes = count * (long)dataset.Type.Size;
        // Only compressed (chunked) data can be larger than the file; deflate expands at most ~1032 times.
        long limit = dataset.Layout.Class == H5DataLayoutClass.Chunked ? fileLength * 1100 : fileLength;
        if (bytes > limit)
            throw new WeightFormatException($"'{Path}' dataset '{name}' has shape {WeightArray.FormatShape(shape)} ({bytes} bytes), more than the {fileLength}-byte file can hold (truncated or corrupt).") { FilePath = Path };
    }

    private void VerifyChecksum(IH5Dataset dataset, WeightArray array)
    {
        if (!dataset.AttributeExists(ChecksumAttribute))
        {
            if (checksumsRequired)
                throw new WeightFormatException($"'{Path}' dataset '{array.Name}' has no '{ChecksumAttribute}' attribute, but the file says every dataset carries one (corrupt file).") { FilePath = Path };
            return;
        }
        string stored = dataset.Attribute(ChecksumAttribute).Read<string>();
        if (dataset.Type.Size != 4) return; // the checksum is defined over float32 bytes, which a float64 dataset does not hold
        string actual = WeightFileHash.OfValues(array.Data);
        if (!string.Equals(stored, actual, StringComparison.OrdinalIgnoreCase))
            throw new WeightFormatException($"'{Path}' dataset '{array.Name}': SHA-256 of its values is {actual}, but its '{ChecksumAttribute}' attribute says {stored} (corrupt data).") { FilePath = Path };
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
