using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Torch;

/// <summary>
/// Host memory seen as spans of floats, so that results reach managed arrays in one copy:
/// <c>data&lt;float&gt;().ToArray()</c> first copies the whole tensor into a fresh array of its own
/// (megabytes per batch, on the large object heap, each a push towards a full collection).
/// </summary>
internal static class HostSpans
{
    /// <summary>
    /// The values of a contiguous float32 tensor in host memory, in memory order. Valid while the
    /// tensor lives; empty for an empty tensor.
    /// </summary>
    public static ReadOnlySpan<float> Floats(Tensor tensor)
    {
        if (tensor.dtype != ScalarType.Float32 || tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException($"Expected a contiguous float32 tensor in host memory, got {tensor.dtype} on {tensor.device_type}{(tensor.is_contiguous() ? "" : ", not contiguous")}.", nameof(tensor));
        return tensor.numel() == 0 ? [] : MemoryMarshal.Cast<byte, float>(tensor.bytes);
    }

    /// <summary>All elements of a three-dimensional array, in row-major order.</summary>
    public static Span<float> Of(float[,,] array) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<byte, float>(ref MemoryMarshal.GetArrayDataReference(array)), array.Length);
}
