using ElmoKeras.Losses;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Metrics;

/// <summary>A quantity accumulated over an epoch's batches and reported in the logs.</summary>
public abstract class Metric
{
    /// <summary>The name in logs and <see cref="Callbacks.History"/>.</summary>
    public abstract string Name { get; }

    /// <summary>Forgets what was accumulated.</summary>
    public abstract void Reset();

    /// <summary>Adds a batch (tensors are read, not kept).</summary>
    public abstract void Update(Tensor predicted, Tensor labels);

    /// <summary>The value over everything since <see cref="Reset"/>.</summary>
    public abstract double Result();

    /// <summary>The names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["accuracy", "acc", "auc"];

    /// <summary>
    /// The metric called <paramref name="name"/>; "accuracy" picks binary, categorical or sparse
    /// accuracy from <paramref name="loss"/>, as Keras does.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static Metric Get(string name, Loss loss) => name.ToLowerInvariant() switch
    {
        "accuracy" or "acc" => loss switch
        {
            CategoricalCrossentropy => new Accuracy(AccuracyKind.Categorical),
            SparseCategoricalCrossentropy => new Accuracy(AccuracyKind.SparseCategorical),
            _ => new Accuracy(AccuracyKind.Binary),
        },
        "auc" => new Auc(),
        _ => throw new ArgumentException($"Could not interpret metric identifier '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
    };
}

/// <summary>How <see cref="Accuracy"/> compares predictions with labels.</summary>
public enum AccuracyKind
{
    /// <summary>Prediction &gt; 0.5 against a 0/1 label.</summary>
    Binary,
    /// <summary>Arg-max of the prediction against the arg-max of a one-hot label.</summary>
    Categorical,
    /// <summary>Arg-max of the prediction against an integer label.</summary>
    SparseCategorical,
}

/// <summary>Fraction of correct predictions.</summary>
public sealed class Accuracy(AccuracyKind kind = AccuracyKind.Binary) : Metric
{
    private long correct, total;

    /// <summary>How predictions are compared.</summary>
    public AccuracyKind Kind { get; } = kind;

    /// <inheritdoc/>
    public override string Name => "accuracy";

    /// <inheritdoc/>
    public override void Reset() => correct = total = 0;

    /// <inheritdoc/>
    public override void Update(Tensor predicted, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor hits = Kind switch
        {
            AccuracyKind.Binary => predicted.reshape(-1).GreaterThan(0.5).eq(labels.reshape(-1).GreaterThan(0.5)),
            AccuracyKind.Categorical => predicted.argmax(-1).eq(labels.argmax(-1)),
            _ => predicted.argmax(-1).reshape(-1).eq(labels.reshape(-1).to_type(ScalarType.Int64)),
        };
        correct += hits.sum().item<long>();
        total += hits.numel();
    }

    /// <inheritdoc/>
    public override double Result() => total == 0 ? 0 : (double)correct / total;
}

/// <summary>
/// Area under the ROC curve for binary labels, computed exactly from every prediction of the epoch
/// (Keras approximates it with 200 thresholds; the two agree to about 1e-3).
/// </summary>
public sealed class Auc : Metric
{
    private readonly List<float> scores = [];
    private readonly List<bool> positives = [];

    /// <inheritdoc/>
    public override string Name => "auc";

    /// <inheritdoc/>
    public override void Reset()
    {
        scores.Clear();
        positives.Clear();
    }

    /// <inheritdoc/>
    public override void Update(Tensor predicted, Tensor labels)
    {
        using var scope = NewDisposeScope();
        scores.AddRange(predicted.detach().reshape(-1).to_type(ScalarType.Float32).cpu().data<float>().ToArray());
        positives.AddRange(labels.reshape(-1).to_type(ScalarType.Float32).cpu().data<float>().ToArray().Select(v => v > 0.5f));
    }

    /// <inheritdoc/>
    public override double Result()
    {
        // Mann–Whitney: the probability that a random positive outranks a random negative (ties count half).
        long nPos = positives.Count(p => p), nNeg = positives.Count - nPos;
        if (nPos == 0 || nNeg == 0) return 0;
        int[] order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) if (positives[order[k]]) rankSum += rank;
            i = j + 1;
        }
        return (rankSum - nPos * (nPos + 1) / 2.0) / ((double)nPos * nNeg);
    }
}
