using ElmoKeras.Elmo;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Elmo;

/// <summary>Both directions of a layer in one recurrence give what each direction gives on its own.</summary>
public class LstmPairTests
{
    private static readonly int[] Lengths = [23, 20, 11, 7, 7, 2];

    public static TheoryData<long, bool, bool> Cases => new()
    {
        { long.MaxValue, false, false },    // one block of input halves
        { 1, false, false },                // a block per step, rows finishing between blocks
        { 1, true, false },                 // from given states (the stateful model)
        { long.MaxValue, true, true },      // bfloat16 weights: products round, the rest stays float32
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void PairedDirectionsMatchEachDirectionAlone(long chunkBytes, bool fromState, bool bfloat16)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var options = new LstmOptions(48, 16, 1, CellClip: 3f, ProjectionClip: 3f, UseSkipConnections: false);
        using var forward = new ProjectedLstm(16, options);
        using var backward = new ProjectedLstm(16, options);
        foreach (ProjectedLstm lstm in new[] { forward, backward })
        {
            lstm.InputChunkBytes = chunkBytes;
            lstm.InputChunkMinColumns = 1;
            // A non-zero bias, so that a mix-up of the directions' biases shows.
            using (no_grad()) lstm.Bias.uniform_(-0.5, 0.5);
            if (bfloat16) lstm.to(ScalarType.BFloat16);
        }
        Tensor forwardInput = randn(Lengths[0], Lengths.Length, 16);
        Tensor backwardInput = randn(Lengths[0], Lengths.Length, 16);
        LstmState? State() => fromState ? new LstmState(randn(Lengths.Length, 48), randn(Lengths.Length, 16)) : null;
        LstmState? forwardState = State(), backwardState = State();

        using var noGrad = no_grad();
        Assert.True(LstmPair.Applies(forward, backward));
        var alone = new[] { forward.call(forwardInput, Lengths, forwardState), backward.call(backwardInput, Lengths, backwardState) };
        var paired = LstmPair.Run(forward, backward, forwardInput, backwardInput, Lengths, forwardState, backwardState);

        float tolerance = bfloat16 ? 1e-4f : 1e-6f;
        for (int direction = 0; direction < 2; direction++)
        {
            string which = direction == 0 ? "forward" : "backward";
            AssertClose(alone[direction].Output, paired[direction].Output, tolerance, $"{which} output");
            AssertClose(alone[direction].Final.Cell, paired[direction].Final.Cell, tolerance, $"{which} final cell");
            AssertClose(alone[direction].Final.Hidden, paired[direction].Final.Hidden, tolerance, $"{which} final output");
        }
        // Past its length a row outputs zeros, in the pair as alone.
        Assert.Equal(0f, paired[1].Output[Lengths[^1], Lengths.Length - 1].abs().sum().item<float>());
    }

    [Fact]
    public void PairIsForInferenceOnly()
    {
        var options = new LstmOptions(8, 4, 1, null, null, false);
        using var forward = new ProjectedLstm(4, options);
        using var backward = new ProjectedLstm(4, options);
        using var other = new ProjectedLstm(4, options with { CellClip = 2f });
        Assert.False(LstmPair.Applies(forward, backward));        // autograd is on: training keeps the per-direction path
        using var noGrad = no_grad();
        Assert.True(LstmPair.Applies(forward, backward));
        Assert.False(LstmPair.Applies(forward, other));
    }

    private static void AssertClose(Tensor expected, Tensor actual, float tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        float worst = (expected - actual).abs().max().item<float>();
        Assert.True(worst <= tolerance, $"{what}: max |diff| {worst:E2} > {tolerance:E0}");
        Assert.True(expected.abs().max().item<float>() > 0.01f, $"{what}: all zeros");
    }
}
