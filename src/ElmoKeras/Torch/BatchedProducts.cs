using static TorchSharp.torch;

namespace ElmoKeras.Torch;

/// <summary>Batched matrix products written as the math reads.</summary>
internal static class BatchedProducts
{
    /// <summary>
    /// <c>input + batch1 · batch2</c> (<c>torch.baddbmm</c> with beta and alpha 1): the product of
    /// [K, n, m] and [K, m, p] added to <paramref name="input"/> (broadcast to [K, n, p]) in one call.
    /// </summary>
    /// <remarks>
    /// TorchSharp 0.107 binds <c>Tensor.baddbmm(a, b)</c> with the receiver as the product's first
    /// operand and its second argument as the tensor added (<c>torch.baddbmm(input, b1, b2)</c> calls
    /// it the same way), so a call written as in PyTorch fails on its shapes or, for square shapes,
    /// computes something else. <c>BatchedProductsTests</c> pins this binding.
    /// </remarks>
    public static Tensor PlusBatchedProduct(this Tensor input, Tensor batch1, Tensor batch2) =>
        batch1.baddbmm(batch2, input, beta: 1, alpha: 1);
}
