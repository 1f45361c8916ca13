namespace ElmoKeras.Elmo;

/// <summary>Values of ELMo's scalar mix: unnormalised layer weights w (one per layer) and γ.</summary>
/// <param name="Weights">w, softmax-normalised when mixing.</param>
/// <param name="Gamma">γ, the overall scale.</param>
public sealed record ScalarMixValues(IReadOnlyList<float> Weights, float Gamma);
