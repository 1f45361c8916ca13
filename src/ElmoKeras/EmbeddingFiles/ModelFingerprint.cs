using System.Security.Cryptography;
using System.Text;
using ElmoKeras.Elmo;

namespace ElmoKeras.EmbeddingFiles;

/// <summary>Identifies a model's weights by content, wherever they were loaded from (bilm-tf HDF5, TF Hub).</summary>
public static class ModelFingerprint
{
    /// <summary>SHA-256 of the weights' names, shapes and values, in lower-case hex: the same for the same weights from any file format.</summary>
    public static string WeightsSha256(ElmoModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var weight in ElmoWeightMap.Export(model.Network))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{weight.Name}:{string.Join('x', weight.Shape)};"));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(weight.Data.AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The version of ElmoKeras that writes files.</summary>
    public static string LibraryVersion =>
        typeof(ModelFingerprint).Assembly.GetName().Version?.ToString(3) ?? "unknown";
}
