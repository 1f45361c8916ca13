using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Torch;

/// <summary>
/// TorchSharp 0.107 frees an implicitly made <see cref="Scalar"/> from its finalizer, and nothing
/// keeps it alive during the libtorch call that reads it; a collection started by another thread
/// then makes libtorch read freed memory ("toFloat" check failures, seen in `elmo embed` after
/// ~67k lines). The library holds every scalar it passes (HeldScalarMath); these tests keep it so.
/// </summary>
public class HeldScalarTests
{
    private static readonly UnheldScalarScanner Scanner = new(typeof(torch).Assembly.Location);

    [Fact]
    public void TheScannerFindsUnheldScalars()
    {
        // The scanner must see the patterns it guards against, or the tests below prove nothing.
        Assert.True(Scanner.UnsafeTorchSharpMethods > 100, $"only {Scanner.UnsafeTorchSharpMethods} TorchSharp methods classified");
        IReadOnlyList<string> found = Scanner.Scan(typeof(HeldScalarTests).Assembly.Location, caller => caller.Contains("HeldScalarTests::Unheld", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains("UnheldSum") && f.Contains("op_Addition(TorchSharp.torch+Tensor,TorchSharp.torch+Tensor)"));
        Assert.Contains(found, f => f.Contains("UnheldFill") && f.Contains("Scalar::op_Implicit(Single)"));
        Assert.Contains(found, f => f.Contains("UnheldScale") && f.Contains("op_Multiply(TorchSharp.torch+Tensor,Double)"));
        Assert.Equal(3, found.Count);
    }

    [Fact]
    public void TheLibraryHoldsEveryScalarItPasses()
    {
        IReadOnlyList<string> found = Scanner.Scan(typeof(ElmoModel).Assembly.Location);
        Assert.True(found.Count == 0, "Unheld TorchSharp scalars (use ElmoKeras.Torch.HeldScalarMath or hold an explicit ToScalar()):\n" + string.Join("\n", found));
    }

    [Fact]
    public void TheLibraryTrainsWithoutTorchSharpsOptimizers()
    {
        // Their step() makes unheld scalars behind a virtual call the scan above cannot follow.
        IReadOnlyList<string> found = UnheldScalarScanner.FindCalls(typeof(ElmoModel).Assembly.Location, callee => callee.StartsWith("TorchSharp.torch+optim", StringComparison.Ordinal));
        Assert.True(found.Count == 0, "Calls into TorchSharp's optimizers:\n" + string.Join("\n", found));
    }

    [Fact]
    public void TheCliHoldsEveryScalarItPasses()
    {
        IReadOnlyList<string> found = Scanner.Scan(typeof(ElmoCli.CommandRunner).Assembly.Location);
        Assert.True(found.Count == 0, "Unheld TorchSharp scalars in the CLI:\n" + string.Join("\n", found));
    }

    [Fact]
    public void EmbeddingSurvivesCollectionsFromAnotherThread()
    {
        // Before the scalars were held this failed within a few hundred sentences.
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        string[][] sentences = [["The", "film", "was", "long", "."], ["A", "quiet", ",", "careful", "story", "about", "trains"], ["Good"]];
        float[] expected;
        using (ElmoEmbeddings reference = elmo.Embed(sentences)) expected = reference.Layers.data<float>().ToArray();

        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int runs = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(4) || runs < 50)
            {
                using ElmoEmbeddings embeddings = elmo.Embed(sentences);
                Assert.Equal(expected, embeddings.Layers.data<float>().ToArray());
                runs++;
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }

    // Deliberately unheld: the scanner must report these three.
    private static Tensor UnheldSum(Tensor a, Tensor b) => a + b;

    private static Tensor UnheldFill(Tensor a) => a.fill_(1f);

    private static Tensor UnheldScale(Tensor a) => a * 0.5;
}
