namespace ElmoKeras.Elmo.Pretraining;

/// <summary>Settings of <see cref="ElmoPretrainer"/>; defaults follow bilm-tf's <c>train_elmo.py</c> where it has one.</summary>
public sealed record PretrainOptions
{
    /// <summary>Parallel token streams (rows) per batch.</summary>
    /// <value>Default: 32.</value>
    public int BatchSize { get; init; } = 32;

    /// <summary>Tokens per row and step (truncated back-propagation through time; states carry over).</summary>
    /// <value>Default: 20 (bilm-tf's <c>unroll_steps</c>).</value>
    public int UnrollSteps { get; init; } = 20;

    /// <summary>Adagrad learning rate.</summary>
    /// <value>Default: 0.2 (bilm-tf).</value>
    public double LearningRate { get; init; } = 0.2;

    /// <summary>Gradients are scaled down to this global L2 norm.</summary>
    /// <value>Default: 10 (bilm-tf's <c>all_clip_norm_val</c>).</value>
    public double ClipNorm { get; init; } = 10;

    /// <summary>Seed for weight initialisation and stream order.</summary>
    /// <value>Default: 0.</value>
    public int Seed { get; init; }
}
