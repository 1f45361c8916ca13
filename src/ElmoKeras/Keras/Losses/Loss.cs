using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Losses;

/// <summary>A training objective: the mean over the batch of a per-example loss.</summary>
public abstract class Loss
{
    /// <summary>The Keras name, e.g. <c>binary_crossentropy</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The element type labels are converted to.</summary>
    internal virtual ScalarType LabelType => ScalarType.Float32;

    /// <summary>Mean loss of predictions <paramref name="predicted"/> against labels <paramref name="labels"/>.</summary>
    public abstract Tensor Compute(Tensor predicted, Tensor labels);

    /// <summary>The names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "mse", "mean_squared_error"];

    /// <summary>The loss called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static Loss Get(string name) => name.ToLowerInvariant() switch
    {
        "binary_crossentropy" => new BinaryCrossentropy(),
        "categorical_crossentropy" => new CategoricalCrossentropy(),
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        "mse" or "mean_squared_error" => new MeanSquaredError(),
        _ => throw new ArgumentException($"Could not interpret loss identifier '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>Keras's clip for probabilities before a logarithm.</summary>
    protected const double Epsilon = 1e-7;

    /// <summary>Labels reshaped to the predictions' shape when they hold the same number of values ([B] vs [B, 1]).</summary>
    protected static Tensor Align(Tensor predicted, Tensor labels, string loss)
    {
        if (labels.shape.SequenceEqual(predicted.shape)) return labels;
        if (labels.numel() == predicted.numel()) return labels.reshape(predicted.shape);
        throw new ArgumentException($"Loss '{loss}': labels of shape [{string.Join(", ", labels.shape)}] do not match predictions of shape [{string.Join(", ", predicted.shape)}].");
    }
}

/// <summary>−[y·log p + (1−y)·log(1−p)] on probabilities (a sigmoid output), as Keras with <c>from_logits=False</c>.</summary>
public sealed class BinaryCrossentropy : Loss
{
    /// <inheritdoc/>
    public override string Name => "binary_crossentropy";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor predicted, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Tensor y = Align(predicted, labels, Name);
        Tensor p = predicted.Between(Epsilon, 1 - Epsilon);
        Tensor loss = -((y * p.log()).Plus(HeldScalarMath.Minus(1, y) * HeldScalarMath.Minus(1, p).log()));
        return loss.mean().MoveToOuterDisposeScope();
    }
}

/// <summary>−Σ y·log p over classes, labels one-hot, predictions probabilities (softmax output).</summary>
public sealed class CategoricalCrossentropy : Loss
{
    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor predicted, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Tensor y = Align(predicted, labels, Name);
        Tensor p = predicted / predicted.sum(-1, keepdim: true);
        return (-(y * p.Between(Epsilon, 1 - Epsilon).log()).sum(-1)).mean().MoveToOuterDisposeScope();
    }
}

/// <summary>Categorical cross-entropy with integer class labels.</summary>
public sealed class SparseCategoricalCrossentropy : Loss
{
    /// <inheritdoc/>
    public override string Name => "sparse_categorical_crossentropy";

    internal override ScalarType LabelType => ScalarType.Int64;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor predicted, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Tensor y = labels.reshape(-1).to_type(ScalarType.Int64);
        if (y.shape[0] != predicted.shape[0])
            throw new ArgumentException($"Loss '{Name}': {y.shape[0]} labels for {predicted.shape[0]} predictions.");
        Tensor p = (predicted / predicted.sum(-1, keepdim: true)).Between(Epsilon, 1 - Epsilon);
        return nn.functional.nll_loss(p.log(), y).MoveToOuterDisposeScope();
    }
}

/// <summary>Mean of (prediction − label)².</summary>
public sealed class MeanSquaredError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mse";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor predicted, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return (predicted - Align(predicted, labels, Name)).Power(2).mean().MoveToOuterDisposeScope();
    }
}
