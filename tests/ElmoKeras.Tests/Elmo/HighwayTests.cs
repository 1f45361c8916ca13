using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Elmo;

/// <summary>
/// The highway layers run feature-major, and in inference overwrite their temporaries; both paths
/// must be bilm-tf's g ⊙ relu(x·W_t + b_t) + (1 − g) ⊙ x with g = σ(x·W_c + b_c), written out here
/// over token rows, and the training path must give that formula's gradients.
/// </summary>
public class HighwayTests
{
    [Fact]
    public void BothPathsAreBilmTfsFormulaWithItsGradients()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        Highway highway = elmo.Network.TokenEncoder.Highways[1];
        using var scope = NewDisposeScope();
        manual_seed(5);
        long size = highway.Carry.weight!.shape[0];
        // Values either side of zero, so that relu clips some transforms and not others.
        Tensor x = randn(7, size) * 2;
        Tensor outputWeights = randn(7, size);

        Tensor Formula(Tensor rows, Tensor carryWeight)
        {
            Tensor gate = (rows.matmul(carryWeight.t()) + highway.Carry.bias!).sigmoid();
            Tensor transformed = (rows.matmul(highway.Transform.weight!.t()) + highway.Transform.bias!).relu();
            return gate * transformed + (1 - gate) * rows;
        }

        Tensor expectedX = x.detach().requires_grad_(true);
        Tensor carryWeight = highway.Carry.weight.detach().requires_grad_(true);
        Tensor expected = Formula(expectedX, carryWeight);
        (expected * outputWeights).sum().backward();

        highway.Carry.weight.requires_grad = true;
        highway.zero_grad();
        Tensor trainX = x.detach().requires_grad_(true);
        Tensor trained = highway.call(trainX);
        (trained * outputWeights).sum().backward();

        Tensor inferred;
        using (no_grad()) inferred = highway.call(x);

        AssertClose(expected, trained, 1e-5, "training output");
        AssertClose(expected, inferred, 1e-5, "inference output");
        AssertClose(expectedX.grad!, trainX.grad!, 1e-4, "gradient of the input");
        AssertClose(carryWeight.grad!, highway.Carry.weight.grad!, 1e-4, "gradient of the carry weights");
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(1, expected.abs().max().item<float>());
        double worst = (expected - actual).abs().max().item<float>();
        Assert.True(worst <= tolerance * scale, $"{what}: max |diff| {worst:E2} > {tolerance:E0} x {scale}");
        Assert.True(expected.abs().sum().item<float>() > 0, $"{what}: all zero");
    }
}
