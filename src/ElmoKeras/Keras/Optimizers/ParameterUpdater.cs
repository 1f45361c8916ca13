using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Optimizers;

/// <summary>
/// An <see cref="Optimizer"/>'s update rule bound to one model's parameters, with its state.
/// </summary>
/// <remarks>
/// The rules are TorchSharp's (same operations in the same order, so the same numbers; the tests
/// compare them step by step), written here because TorchSharp 0.107's optimizers pass implicitly
/// made scalars to libtorch inside <c>step()</c>, which another thread's garbage collection can free
/// mid-call (see docs/elmo.md). Every scalar here is held until its call has returned.
/// </remarks>
internal abstract class ParameterUpdater(IReadOnlyList<Parameter> parameters) : IDisposable
{
    private bool disposed;

    protected IReadOnlyList<Parameter> Parameters { get; } = parameters;

    /// <summary>Sets every gradient to zero (keeping the tensors, as TorchSharp's <c>zero_grad</c>).</summary>
    public void ZeroGrad()
    {
        foreach (Parameter parameter in Parameters)
        {
            using Tensor? grad = parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>Applies one update from the current gradients; parameters without one are left alone.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using (no_grad())
        using (NewDisposeScope())
            Update();
    }

    protected abstract void Update();

    /// <summary>The optimizer's state tensors, disposed with it.</summary>
    protected abstract IEnumerable<Tensor?> State { get; }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (Tensor? tensor in State) tensor?.Dispose();
    }

    /// <summary>A zero tensor like <paramref name="parameter"/>, owned by the updater rather than any dispose scope.</summary>
    protected static Tensor ZerosLike(Parameter parameter) => zeros_like(parameter).DetachFromDisposeScope();
}
