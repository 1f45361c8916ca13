using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Optimizers;

/// <summary>Stochastic gradient descent with optional (heavy-ball) momentum.</summary>
internal sealed class SgdUpdater(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales, double learningRate, double momentum)
    : ParameterUpdater(parameters, learningRateScales)
{
    private readonly Tensor?[] velocities = new Tensor?[parameters.Count];

    protected override IEnumerable<Tensor?> State => velocities;

    protected override void Update()
    {
        using Scalar one = 1.ToScalar(), beta = momentum.ToScalar();
        for (int i = 0; i < Parameters.Count; i++)
        {
            Tensor? grad = Parameters[i].grad;
            if (grad is null) continue;
            Tensor direction = grad;
            if (momentum != 0)
            {
                // The first step's velocity is the gradient itself.
                if (velocities[i] is Tensor velocity) velocity.mul_(beta).add_(grad, one);
                else velocities[i] = grad.clone().detach().DetachFromDisposeScope();
                direction = velocities[i]!;
            }
            using Scalar step = (-learningRate * Scales[i]).ToScalar();
            Parameters[i].add_(direction, step);
        }
    }
}
