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

    /// <summary>
    /// Dropout rate on the input of every LSTM layer and on the top layer before the softmax, in
    /// training only (inference never drops).
    /// </summary>
    /// <value>Default: 0.1 (bilm-tf's <c>dropout</c>).</value>
    public double Dropout { get; init; } = 0.1;

    /// <summary>
    /// Negative words sampled per step for the sampled softmax (log-uniform over the vocabulary,
    /// shared by the batch, as TensorFlow's <c>sampled_softmax_loss</c>). With a vocabulary no larger
    /// than this, the exact softmax is used: it is then the cheaper of the two.
    /// </summary>
    /// <value>Default: 8192 (bilm-tf's <c>n_negative_samples_batch</c>).</value>
    public int SoftmaxSamples { get; init; } = 8192;

    /// <summary>Seed for weight initialisation, stream order, dropout and sampling.</summary>
    /// <value>Default: 0.</value>
    public int Seed { get; init; }

    internal void Validate()
    {
        if (BatchSize <= 0 || UnrollSteps <= 0) throw new ArgumentException($"BatchSize ({BatchSize}) and UnrollSteps ({UnrollSteps}) must be positive.");
        if (LearningRate <= 0 || ClipNorm <= 0) throw new ArgumentException($"LearningRate ({LearningRate}) and ClipNorm ({ClipNorm}) must be positive.");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"Dropout ({Dropout}) must be in [0, 1).");
        if (SoftmaxSamples <= 0) throw new ArgumentException($"SoftmaxSamples ({SoftmaxSamples}) must be positive.");
    }
}
