using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Elmo.Pretraining;

/// <summary>
/// The language model's output layer: one softmax over the vocabulary shared by both directions. When
/// the vocabulary is larger than the sample count, training uses TensorFlow's sampled softmax (a
/// log-uniform proposal over ids ordered by falling frequency, expected counts subtracted, accidental
/// hits removed); evaluation always uses the exact softmax.
/// </summary>
internal sealed class SampledSoftmax : IDisposable
{
    /// <summary>A target to leave out of the loss (a stream's first token has no predecessor).</summary>
    public const long IgnoreIndex = -100;
    private readonly Linear linear;
    private readonly int samples;
    private readonly Tensor? samplingLogProbabilities;

    /// <summary>
    /// Creates the softmax weights (from the global generator, as <c>nn.Linear</c> does) and, when
    /// <paramref name="vocabularySize"/> exceeds <paramref name="samples"/>, the proposal distribution.
    /// </summary>
    public SampledSoftmax(long inputDim, int vocabularySize, int samples)
    {
        linear = nn.Linear(inputDim, vocabularySize);
        this.samples = samples;
        if (vocabularySize > samples)
        {
            // Log-uniform (Zipf) proposal over ids ordered by falling frequency, as TensorFlow's sampler.
            using var scope = NewDisposeScope();
            Tensor k = arange(vocabularySize, dtype: ScalarType.Float64);
            samplingLogProbabilities = ((k + 2).log() - (k + 1).log()).div(Math.Log(vocabularySize + 1)).log().to(ScalarType.Float32).DetachFromDisposeScope();
        }
    }

    /// <summary>Whether <see cref="Draw"/> gives samples (the vocabulary is larger than the sample count).</summary>
    public bool IsSampled => samplingLogProbabilities is not null;

    /// <summary>The weight and bias, named as in <c>nn.Linear</c>.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters => linear.named_parameters();

    /// <summary>
    /// The candidate ids of one training step (with replacement), drawn from a generator seeded by
    /// <paramref name="seed"/> so that a resumed run draws the same; null with the exact softmax.
    /// </summary>
    public Tensor? Draw(ulong seed)
    {
        if (samplingLogProbabilities is null) return null;
        var generator = new Generator(seed);
        return multinomial(samplingLogProbabilities.exp(), samples, replacement: true, generator: generator);
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="targets"/> (ignoring <see cref="IgnoreIndex"/>) given the
    /// top layer's <paramref name="hidden"/> states [N, inputDim]: exact when <paramref name="sampled"/>
    /// is null, else over the true class and the <paramref name="sampled"/> candidates.
    /// </summary>
    public Tensor Loss(Tensor hidden, Tensor targets, Tensor? sampled)
    {
        if (sampled is null) return nn.functional.cross_entropy(linear.call(hidden), targets, ignore_index: IgnoreIndex);
        Tensor keep = targets.ne(IgnoreIndex).nonzero().squeeze(1);
        hidden = hidden.index_select(0, keep);
        targets = targets.index_select(0, keep);
        // Sampled softmax with the log expected count subtracted (TensorFlow's remove_accidental_hits=True).
        double logSamples = Math.Log(samples);
        Tensor w = linear.weight!, b = linear.bias!;
        Tensor trueLogits = (hidden * w.index_select(0, targets)).sum(1) + b.index_select(0, targets) - samplingLogProbabilities!.index_select(0, targets) - logSamples;
        Tensor sampledLogits = hidden.matmul(w.index_select(0, sampled).t()) + b.index_select(0, sampled) - samplingLogProbabilities.index_select(0, sampled) - logSamples;
        sampledLogits = sampledLogits.masked_fill(targets.unsqueeze(1).eq(sampled.unsqueeze(0)), float.NegativeInfinity);
        Tensor logits = cat([trueLogits.unsqueeze(1), sampledLogits], 1);
        return nn.functional.cross_entropy(logits, zeros(logits.shape[0], dtype: ScalarType.Int64, device: logits.device));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        samplingLogProbabilities?.Dispose();
        linear.Dispose();
    }
}
