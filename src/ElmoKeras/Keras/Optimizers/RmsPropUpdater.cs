using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Optimizers;

/// <summary>RMSprop without momentum or centring (Keras's defaults).</summary>
internal sealed class RmsPropUpdater(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales, double learningRate, double rho, double epsilon)
    : ParameterUpdater(parameters, learningRateScales)
{
    private readonly Tensor[] squareAverages = [.. parameters.Select(ZerosLike)];

    protected override IEnumerable<Tensor?> State => squareAverages;

    protected override void Update()
    {
        using Scalar one = 1.ToScalar(), keep = rho.ToScalar(), rest = (1 - rho).ToScalar(), eps = epsilon.ToScalar();
        for (int i = 0; i < Parameters.Count; i++)
        {
            Tensor? grad = Parameters[i].grad;
            if (grad is null) continue;
            squareAverages[i].mul_(keep).addcmul_(grad, grad, rest);
            Tensor average = squareAverages[i].sqrt().add_(eps, one);
            using Scalar step = (-learningRate * Scales[i]).ToScalar();
            Parameters[i].addcdiv_(grad, average, step);
        }
    }
}
