using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Optimizers;

/// <summary>Adam, and AdamW when <paramref name="weightDecay"/> is not zero (decay decoupled from the gradient).</summary>
internal sealed class AdamUpdater(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales, double learningRate, double beta1, double beta2, double epsilon, double weightDecay = 0)
    : ParameterUpdater(parameters, learningRateScales)
{
    private readonly Tensor[] firstMoments = [.. parameters.Select(ZerosLike)];
    private readonly Tensor[] secondMoments = [.. parameters.Select(ZerosLike)];
    private readonly int[] steps = new int[parameters.Count];

    protected override IEnumerable<Tensor?> State => [.. firstMoments, .. secondMoments];

    protected override void Update()
    {
        using Scalar one = 1.ToScalar(), b1 = beta1.ToScalar(), rest1 = (1 - beta1).ToScalar(), b2 = beta2.ToScalar(), rest2 = (1 - beta2).ToScalar();
        using Scalar eps = epsilon.ToScalar();
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameter parameter = Parameters[i];
            Tensor? grad = parameter.grad;
            if (grad is null) continue;
            int step = ++steps[i];
            double rate = learningRate * Scales[i];
            if (weightDecay != 0)
            {
                using Scalar decay = (1 - rate * weightDecay).ToScalar();
                parameter.mul_(decay);
            }
            double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
            firstMoments[i].mul_(b1).add_(grad, rest1);
            secondMoments[i].mul_(b2).addcmul_(grad, grad, rest2);
            using Scalar root = Math.Sqrt(correction2).ToScalar(), stepSize = (-rate / correction1).ToScalar();
            Tensor denominator = secondMoments[i].sqrt().div_(root).add_(eps, one);
            parameter.addcdiv_(firstMoments[i], denominator, stepSize);
        }
    }
}
