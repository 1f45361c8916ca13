using TorchSharp;

namespace ElmoKeras.Elmo;

/// <summary>
/// The scalars the step loop passes to libtorch, made once per forward pass and disposed after
/// it. A TorchSharp <see cref="Scalar"/> made implicitly for a call (<c>addcmul_(i, j, 1)</c>) is
/// unreachable once its handle is read, so its finalizer may free it while libtorch still reads
/// it: after ~10^7 steps <c>elmo embed</c> died on a "toFloat" check inside <c>addcmul_</c>.
/// Held here, each stays reachable until the loop is done.
/// </summary>
internal sealed class StepScalars : IDisposable
{
    public StepScalars(float? cellClip, float? projectionClip)
    {
        One = 1f.ToScalar();
        if (cellClip is float cc) CellClip = ((-cc).ToScalar(), cc.ToScalar());
        if (projectionClip is float pc) ProjectionClip = ((-pc).ToScalar(), pc.ToScalar());
    }

    public Scalar One { get; }
    public (Scalar Low, Scalar High)? CellClip { get; }
    public (Scalar Low, Scalar High)? ProjectionClip { get; }

    public void Dispose()
    {
        One.Dispose();
        if (CellClip is var (cl, ch)) { cl.Dispose(); ch.Dispose(); }
        if (ProjectionClip is var (pl, ph)) { pl.Dispose(); ph.Dispose(); }
    }
}
