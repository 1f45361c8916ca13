using ElmoKeras.Elmo;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Elmo;

/// <summary>The LSTM computes the input half of its gates a block of steps at a time.</summary>
public class ProjectedLstmTests
{
    private static readonly int[] Lengths = [23, 20, 11, 7, 2];

    private static (float[] Output, float[] Cell, float[] Hidden, float[] InputWeightGradient) Run(long chunkBytes, int rowAlignment = 16, bool withInitialState = false, int[]? lengths = null)
    {
        lengths ??= Lengths;
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var lstm = new ProjectedLstm(16, new LstmOptions(64, 16, 1, CellClip: 3f, ProjectionClip: 3f, UseSkipConnections: false));
        lstm.InputChunkBytes = chunkBytes;
        lstm.RowAlignment = rowAlignment;
        lstm.InputChunkMinColumns = 1;
        Tensor input = randn(lengths[0], lengths.Length, 16);
        // Positions past a row's length hold junk: the LSTM must never read them.
        Tensor outputWeights = randn(lengths[0], lengths.Length, 16);
        LstmState? initial = withInitialState ? new LstmState(randn(lengths.Length, 64), randn(lengths.Length, 16)) : null;
        var (output, final) = lstm.call(input, lengths, initial);
        (output * outputWeights).sum().backward();
        return (output.data<float>().ToArray(), final.Cell.data<float>().ToArray(), final.Hidden.data<float>().ToArray(),
            lstm.InputWeight.grad!.data<float>().ToArray());
    }

    [Fact]
    public void BlocksOfStepsGiveTheSameOutputsStatesAndGradientsAsOneBlock()
    {
        using (var probe = new ProjectedLstm(16, new LstmOptions(64, 16, 1, null, null, false)))
        {
            // However small the byte budget, a block keeps at least 256 columns by default: 52 steps of 5 rows.
            probe.InputChunkBytes = 1;
            Assert.Equal(52, probe.InputChunkSteps(Lengths.Length));
            probe.InputChunkMinColumns = 1;
            probe.InputChunkBytes = 3 * 4 * 64 * Lengths.Length * sizeof(float);
            Assert.Equal(3, probe.InputChunkSteps(Lengths.Length));
            Assert.True(probe.InputChunkSteps(Lengths.Length) < Lengths[0]);
            probe.InputChunkBytes = 1;
            Assert.Equal(1, probe.InputChunkSteps(Lengths.Length));
        }
        var whole = Run(long.MaxValue);
        foreach (long bytes in new long[] { 1, 3 * 4 * 64 * Lengths.Length * sizeof(float) })
        {
            var blocked = Run(bytes);
            AssertClose(whole.Output, blocked.Output, 1e-6f, $"output, {bytes}-byte blocks");
            AssertClose(whole.Cell, blocked.Cell, 1e-6f, $"final cell, {bytes}-byte blocks");
            AssertClose(whole.Hidden, blocked.Hidden, 1e-6f, $"final output, {bytes}-byte blocks");
            AssertClose(whole.InputWeightGradient, blocked.InputWeightGradient, 1e-5f, $"input weight gradient, {bytes}-byte blocks");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ColumnsPaddedToTheAlignmentChangeNothing(bool withInitialState)
    {
        // With alignment 4: 6 rows in 8 columns to the end (at least twice the alignment); with 2, 3 running rows in 4 columns.
        int[] lengths = [23, 23, 23, 11, 7, 2];
        long chunkBytes = 3 * 4 * 64 * lengths.Length * sizeof(float);
        var plain = Run(chunkBytes, rowAlignment: 1, withInitialState, lengths);
        foreach (int alignment in new[] { 2, 4, 16 })
        {
            var padded = Run(chunkBytes, alignment, withInitialState, lengths);
            AssertClose(plain.Output, padded.Output, 1e-6f, $"output, alignment {alignment}");
            AssertClose(plain.Cell, padded.Cell, 1e-6f, $"final cell, alignment {alignment}");
            AssertClose(plain.Hidden, padded.Hidden, 1e-6f, $"final output, alignment {alignment}");
            AssertClose(plain.InputWeightGradient, padded.InputWeightGradient, 1e-5f, $"input weight gradient, alignment {alignment}");
        }
    }

    [Theory]
    [InlineData(1, 16, 1)]
    [InlineData(2, 30, 16)]
    [InlineData(16, 30, 16)]
    [InlineData(17, 30, 24)]
    [InlineData(25, 30, 30)]
    [InlineData(33, 64, 40)]
    [InlineData(0, 64, 0)]
    [InlineData(9, 64, 9, 1)]
    [InlineData(3, 64, 32, 16)]
    public void AlignedRowsRoundUpWithinTheCap(int rows, int cap, int expected, int alignment = 8) =>
        Assert.Equal(expected, ProjectedLstm.AlignedRows(rows, cap, alignment));

    [Fact]
    public void InferenceInBlocksMatchesTraining()
    {
        // The no-grad path overwrites its temporaries in place; it must still read each block's gates once.
        var trained = Run(1);
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var lstm = new ProjectedLstm(16, new LstmOptions(64, 16, 1, CellClip: 3f, ProjectionClip: 3f, UseSkipConnections: false));
        lstm.InputChunkBytes = 1;
        lstm.InputChunkMinColumns = 1;
        Tensor input = randn(Lengths[0], Lengths.Length, 16);
        using var noGrad = no_grad();
        var (output, _) = lstm.call(input, Lengths, null);
        AssertClose(trained.Output, output.data<float>().ToArray(), 1e-6f, "inference output");
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    // A lone sentence takes another path (one LSTM at a time).
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void LstmsRunTogetherGiveEachOneItsOwnResultsAndGradients(bool training, bool loneRow)
    {
        int[] lengths = loneRow ? [Lengths[0]] : Lengths;
        using var scope = NewDisposeScope();
        manual_seed(9);
        var options = new LstmOptions(64, 16, 1, CellClip: 3f, ProjectionClip: 3f, UseSkipConnections: false);
        using var forward = new ProjectedLstm(16, options);
        using var backward = new ProjectedLstm(16, options);
        ProjectedLstm[] pair = [forward, backward];
        foreach (ProjectedLstm lstm in pair) { lstm.InputChunkBytes = 3 * 4 * 64 * lengths.Length * sizeof(float); lstm.InputChunkMinColumns = 1; }
        Tensor[] inputs = [randn(lengths[0], lengths.Length, 16), randn(lengths[0], lengths.Length, 16)];
        Tensor[] outputWeights = [randn(lengths[0], lengths.Length, 16), randn(lengths[0], lengths.Length, 16)];
        // One with a starting state and one without, as a stateful caller may pass.
        LstmState?[] initial = [new LstmState(randn(lengths.Length, 64), randn(lengths.Length, 16)), null];

        (float[] Output, float[] Cell, float[] Hidden, float[] Gradient)[] Results(Func<(Tensor Output, LstmState Final)[]> run)
        {
            foreach (ProjectedLstm lstm in pair) lstm.zero_grad();
            using var runScope = NewDisposeScope();
            using var mode = training ? enable_grad() : no_grad();
            var results = run();
            if (training) results.Select((r, k) => (r.Output * outputWeights[k]).sum()).Aggregate((a, b) => a + b).backward();
            return results.Select((r, k) => (r.Output.data<float>().ToArray(), r.Final.Cell.data<float>().ToArray(), r.Final.Hidden.data<float>().ToArray(),
                training ? pair[k].RecurrentWeight.grad!.data<float>().ToArray() : [1f])).ToArray();
        }

        var apart = Results(() => [forward.call(inputs[0], lengths, initial[0]), backward.call(inputs[1], lengths, initial[1])]);
        var together = Results(() => ProjectedLstm.RunTogether(pair, inputs, lengths, initial));
        for (int k = 0; k < 2; k++)
        {
            AssertClose(apart[k].Output, together[k].Output, 1e-6f, $"output of LSTM {k}");
            AssertClose(apart[k].Cell, together[k].Cell, 1e-6f, $"final cell of LSTM {k}");
            AssertClose(apart[k].Hidden, together[k].Hidden, 1e-6f, $"final output of LSTM {k}");
            AssertClose(apart[k].Gradient, together[k].Gradient, 1e-5f, $"recurrent weight gradient of LSTM {k}");
        }
    }

    [Fact]
    public void LstmsOfDifferentShapesCannotRunTogether()
    {
        using var scope = NewDisposeScope();
        using var small = new ProjectedLstm(16, new LstmOptions(64, 16, 1, null, null, false));
        using var large = new ProjectedLstm(16, new LstmOptions(128, 16, 1, null, null, false));
        Tensor input = randn(3, 2, 16);
        var error = Assert.Throws<ArgumentException>(() => ProjectedLstm.RunTogether([small, large], [input, input], [3, 2], null));
        Assert.Contains("one shape", error.Message);
        Assert.Throws<ArgumentException>(() => ProjectedLstm.RunTogether([small, small], [input], [3, 2], null));
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= tolerance, $"{what}: max |diff| {worst:E2} > {tolerance:E0}");
        Assert.Contains(expected, v => v != 0);
    }
}
