using ElmoKeras.Torch;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Torch;

/// <summary>TorchSharp's baddbmm binding reads its arguments out of PyTorch's order; the helper must not.</summary>
public class BatchedProductsTests
{
    [Fact]
    public void PlusBatchedProductAddsTheProductOfTheTwoBatches()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        // Square matrices, so that a wrong reading of the arguments still has valid shapes.
        Tensor input = randn(2, 3, 3), a = randn(2, 3, 3), b = randn(2, 3, 3);
        Tensor expected = input + a.bmm(b);
        Assert.True(input.PlusBatchedProduct(a, b).allclose(expected, rtol: 1e-5, atol: 1e-6));
        // A bias of one column broadcasts over the product's columns.
        Tensor bias = randn(2, 3, 1);
        Assert.True(bias.PlusBatchedProduct(a, b).allclose(bias + a.bmm(b), rtol: 1e-5, atol: 1e-6));
    }
}
