using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Optimizers;

/// <summary>How training updates weights: the rules of TorchSharp's optimizers, with every scalar held (see <see cref="ParameterUpdater"/>).</summary>
public abstract class Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    protected Optimizer(double learningRate)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        LearningRate = learningRate;
    }

    /// <summary>Step size.</summary>
    public double LearningRate { get; }

    /// <summary>The Keras name.</summary>
    public abstract string Name { get; }

    internal abstract ParameterUpdater Create(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales = null);

    /// <summary>The names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["adam", "sgd", "adamw", "rmsprop"];

    /// <summary>The optimizer called <paramref name="name"/> with Keras's default settings (or <paramref name="learningRate"/>).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static Optimizer Get(string name, double? learningRate = null) => name.ToLowerInvariant() switch
    {
        "adam" => new Adam(learningRate ?? 1e-3),
        "sgd" => new Sgd(learningRate ?? 1e-2),
        "adamw" => new AdamW(learningRate ?? 1e-3),
        "rmsprop" => new RmsProp(learningRate ?? 1e-3),
        _ => throw new ArgumentException($"Could not interpret optimizer identifier '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
    };
}

/// <summary>Adam (Kingma and Ba); Keras defaults β1 0.9, β2 0.999, ε 1e-7.</summary>
public sealed class Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7) : Optimizer(learningRate)
{
    /// <inheritdoc/>
    public override string Name => "adam";
    internal override ParameterUpdater Create(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales = null) => new AdamUpdater(parameters, learningRateScales, LearningRate, beta1, beta2, epsilon);
}

/// <summary>AdamW: Adam with decoupled weight decay (Keras default decay 0.004).</summary>
public sealed class AdamW(double learningRate = 1e-3, double weightDecay = 0.004, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7) : Optimizer(learningRate)
{
    /// <inheritdoc/>
    public override string Name => "adamw";
    internal override ParameterUpdater Create(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales = null) => new AdamUpdater(parameters, learningRateScales, LearningRate, beta1, beta2, epsilon, weightDecay);
}

/// <summary>Stochastic gradient descent with optional momentum.</summary>
public sealed class Sgd(double learningRate = 1e-2, double momentum = 0) : Optimizer(learningRate)
{
    /// <inheritdoc/>
    public override string Name => "sgd";
    internal override ParameterUpdater Create(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales = null) => new SgdUpdater(parameters, learningRateScales, LearningRate, momentum);
}

/// <summary>RMSprop; Keras defaults ρ 0.9, ε 1e-7.</summary>
public sealed class RmsProp(double learningRate = 1e-3, double rho = 0.9, double epsilon = 1e-7) : Optimizer(learningRate)
{
    /// <inheritdoc/>
    public override string Name => "rmsprop";
    internal override ParameterUpdater Create(IReadOnlyList<Parameter> parameters, IReadOnlyList<double>? learningRateScales = null) => new RmsPropUpdater(parameters, learningRateScales, LearningRate, rho, epsilon);
}
