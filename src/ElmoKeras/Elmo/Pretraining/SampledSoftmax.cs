using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

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
            using Scalar zero = 0.ToScalar(), size = vocabularySize.ToScalar(), one = 1.ToScalar();
            Tensor k = arange(zero, size, one, dtype: ScalarType.Float64);
            samplingLogProbabilities = (k.Plus(2).log() - k.Plus(1).log()).DividedBy(Math.Log(vocabularySize + 1)).log().to(ScalarType.Float32).DetachFromDisposeScope();
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
        Tensor keep = targets.NotEqualTo(IgnoreIndex).nonzero().squeeze(1);
        hidden = hidden.index_select(0, keep);
        targets = targets.index_select(0, keep);
        // Sampled softmax with the log expected count subtracted (TensorFlow's remove_accidental_hits=True).
        double logSamples = Math.Log(samples);
        Tensor w = linear.weight!, b = linear.bias!;
        Tensor trueLogits = ((hidden * w.index_select(0, targets)).sum(1).Plus(b.index_select(0, targets)) - samplingLogProbabilities!.index_select(0, targets)).Minus(logSamples);
        Tensor sampledLogits = (hidden.matmul(w.index_select(0, sampled).t()).Plus(b.index_select(0, sampled)) - samplingLogProbabilities.index_select(0, sampled)).Minus(logSamples);
        sampledLogits = sampledLogits.FilledWhere(targets.unsqueeze(1).eq(sampled.unsqueeze(0)), double.NegativeInfinity);
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
