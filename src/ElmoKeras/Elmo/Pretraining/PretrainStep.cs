namespace ElmoKeras.Elmo.Pretraining;

/// <summary>Figures after a pretraining step.</summary>
/// <param name="Step">Steps done so far.</param>
/// <param name="Tokens">Tokens trained on so far (per direction).</param>
/// <param name="Loss">The step's mean cross-entropy of both directions (nats; with the sampled softmax, of the sampled problem).</param>
/// <param name="Perplexity">exp(<paramref name="Loss"/>).</param>
/// <param name="TokensPerSecond">Training throughput of this call.</param>
public sealed record PretrainStep(int Step, long Tokens, double Loss, double Perplexity, double TokensPerSecond);
