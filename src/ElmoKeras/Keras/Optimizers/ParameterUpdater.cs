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
internal abstract class ParameterUpdater : IDisposable
{
    private bool disposed;

    /// <param name="parameters">The parameters updated.</param>
    /// <param name="learningRateScales">Per parameter, what the learning rate is multiplied by; null for 1 everywhere.</param>
    protected ParameterUpdater(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales)
    {
        Parameters = parameters;
        if (learningRateScales is not null && learningRateScales.Count != parameters.Count)
            throw new ArgumentException($"{learningRateScales.Count} learning-rate scales for {parameters.Count} parameters.", nameof(learningRateScales));
        foreach (double scale in learningRateScales ?? [])
            if (!(scale >= 0) || double.IsInfinity(scale))
                throw new ArgumentOutOfRangeException(nameof(learningRateScales), scale, "A learning-rate scale must be a finite number, 0 or more.");
        Scales = learningRateScales?.ToArray() ?? Enumerable.Repeat(1.0, parameters.Count).ToArray();
    }

    protected IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Per parameter, what the learning rate is multiplied by.</summary>
    protected double[] Scales { get; }

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
