using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;
using TorchSharp;

namespace ElmoKeras.Layers;

/// <summary>
/// Keras's <c>BatchNormalization</c> over the last axis: in training, each feature is standardised
/// with the batch's mean and variance (masked steps left out) and the moving statistics follow them;
/// in inference the moving statistics are used. Then <c>gamma · x̂ + beta</c>. Passes masks on.
/// </summary>
/// <remarks>
/// Useful on top of a frozen ELMo whose pooled features are small and alike across examples (a
/// briefly pretrained or random bi-LM): standardising them lets the next Dense layer learn at
/// Adam's usual rate.
/// </remarks>
public sealed class BatchNormalization : Layer
{
    private Parameter? gamma;
    private Parameter? beta;
    private Parameter? movingMean;
    private Parameter? movingVariance;

    /// <param name="momentum">Weight of the old value in the moving statistics' update (Keras: 0.99).</param>
    /// <param name="epsilon">Added to the variance before the square root (Keras: 0.001).</param>
    /// <param name="name">Layer name; default <c>batch_normalization</c>, ….</param>
    public BatchNormalization(double momentum = 0.99, double epsilon = 1e-3, string? name = null) : base(name)
    {
        if (momentum is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1).");
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive.");
        Momentum = momentum;
        Epsilon = epsilon;
    }

    /// <summary>Weight of the old value in the moving statistics' update.</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; }

    /// <summary>The moving mean used in inference [features].</summary>
    public Parameter MovingMean => movingMean ?? throw NotBuilt();

    /// <summary>The moving variance used in inference [features].</summary>
    public Parameter MovingVariance => movingVariance ?? throw NotBuilt();

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs =>
        [new InputSpec { MinRank = 2, Axes = new Dictionary<int, long?> { [-1] = movingMean?.shape[0] }, Layout = "[batch, ..., features]" }];

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<IReadOnlyList<long?>> inputShapes)
    {
        long features = inputShapes[0][^1]!.Value;
        gamma = AddWeight("gamma", [features], Initializer.Ones);
        beta = AddWeight("beta", [features], Initializer.Zeros);
        movingMean = AddWeight("moving_mean", [features], Initializer.Zeros, trainable: false);
        movingVariance = AddWeight("moving_variance", [features], Initializer.Ones, trainable: false);
    }

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor x = inputs[0].ExpectTensor(Name);
        long features = MovingMean.shape[0];
        if (x.dim() < 2 || x.shape[^1] != features)
            throw new ArgumentException($"Layer '{Name}' expected input with last dimension {features}, received shape [{string.Join(", ", x.shape)}].");
        using var scope = NewDisposeScope();
        Tensor mean, variance;
        if (training)
        {
            Tensor flat = x.reshape(-1, features);
            Tensor? mask = inputs[0].Mask;
            if (mask is not null && mask.numel() * features == x.numel())
            {
                Tensor weights = mask.reshape(-1, 1).to_type(x.dtype);
                Tensor count = weights.sum().AtLeast(1);
                mean = (flat * weights).sum(0) / count;
                variance = ((flat - mean).Power(2) * weights).sum(0) / count;
            }
            else
            {
                mean = flat.mean([0]);
                variance = flat.var(0, unbiased: false);
            }
            using (no_grad())
            {
                // Keras updates the moving statistics as a side effect of a training call.
                using Scalar keep = Momentum.ToScalar(), update = (1 - Momentum).ToScalar();
                MovingMean.mul_(keep).add_(mean.detach(), update);
                MovingVariance.mul_(keep).add_(variance.detach(), update);
            }
        }
        else
        {
            mean = MovingMean;
            variance = MovingVariance;
        }
        Tensor y = ((x - mean) / variance.Plus(Epsilon).sqrt() * gamma!).Plus(beta!);
        return LayerValue.FromTensor(y.MoveToOuterDisposeScope());
    }
}
