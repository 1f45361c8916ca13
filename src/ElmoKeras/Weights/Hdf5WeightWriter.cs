using PureHDF;
using ElmoKeras.IO;

namespace ElmoKeras.Weights;

/// <summary>
/// Writes named float arrays as an HDF5 file, slash-separated names becoming groups: the layout
/// bilm-tf's <c>dump_weights</c> produces and AllenNLP and our own loader read. Every dataset gets a
/// <c>sha256</c> attribute (SHA-256 of its float32 little-endian values) and the root an
/// <c>elmokeras_checksums</c> attribute; <see cref="Hdf5WeightSource"/> verifies them, other readers ignore them.
/// </summary>
internal static class Hdf5WeightWriter
{
    /// <summary>
    /// Writes <paramref name="arrays"/> to <paramref name="path"/>. The file is written under a
    /// temporary name and renamed when complete, so a failure leaves no partial file behind.
    /// </summary>
    /// <exception cref="ArgumentException">Two arrays share a name, or a name collides with a group.</exception>
    public static void Write(string path, IEnumerable<WeightArray> arrays)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(arrays);
        var root = new H5File { Attributes = new() { [Hdf5WeightSource.ChecksumsMarker] = "sha256 of each dataset's float32 little-endian values" } };
        foreach (WeightArray array in arrays)
        {
            long expected = array.Shape.Aggregate(1L, (a, b) => a * b);
            if (expected != array.Data.Length)
                throw new ArgumentException($"Array '{array.Name}' has {array.Data.Length} values but shape {array.ShapeText} needs {expected}.", nameof(arrays));
            string[] parts = array.Name.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) throw new ArgumentException("An array has an empty name.", nameof(arrays));
            H5Group group = root;
            foreach (string part in parts[..^1])
            {
                if (!group.TryGetValue(part, out object? child))
                {
                    child = new H5Group();
                    group[part] = child;
                }
                group = child as H5Group ?? throw new ArgumentException($"'{array.Name}' needs '{part}' to be a group, but an array has that name.", nameof(arrays));
            }
            if (group.ContainsKey(parts[^1])) throw new ArgumentException($"Two arrays are named '{array.Name}'.", nameof(arrays));
            group[parts[^1]] = new H5Dataset(array.Data, fileDims: array.Shape.Select(d => (ulong)d).ToArray())
            {
                Attributes = new() { [Hdf5WeightSource.ChecksumAttribute] = WeightFileHash.OfValues(array.Data) },
            };
        }
        AtomicFile.Write(path, temp => root.Write(temp));
    }
}
