using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Elmo;

/// <summary>How an <see cref="ElmoModel"/> runs (as opposed to <see cref="ElmoOptions"/>, what it is).</summary>
public sealed record ElmoModelSettings
{
    /// <summary>Where the weights live and the math runs.</summary>
    /// <value>Default: the CPU.</value>
    public Device? Device { get; init; }

    /// <summary>
    /// Carry LSTM states from one batch to the next, row by row, as bilm-tf and AllenNLP do. Only
    /// useful to reproduce their outputs: results then depend on what was embedded before.
    /// </summary>
    /// <value>Default: false (every batch starts from zero states, so a sentence always gets the same vectors).</value>
    public bool Stateful { get; init; }

    /// <summary>
    /// The number type of the bi-LM's weights and matrix products. <see cref="ScalarType.BFloat16"/>
    /// halves the weights' memory traffic and uses bf16 matrix units (NVIDIA tensor cores, CPUs with
    /// AVX-512 BF16 or AMX) with float32 accumulation; the LSTM gates, cells and outputs stay float32,
    /// so only the products round (about two significant digits each; see docs/performance.md for
    /// the measured drift). On CPUs without bf16 instructions libtorch emulates it, far slower than
    /// float32. Outputs are float32 either way.
    /// </summary>
    /// <value>Default: <see cref="ScalarType.Float32"/>, which reproduces bilm-tf to 1e-5.</value>
    public ScalarType ComputeType { get; init; } = ScalarType.Float32;

    /// <summary>
    /// Surround every sentence with the begin/end-of-sentence tokens the bi-LM was trained with, as
    /// bilm-tf and AllenNLP do. TF Hub's module is not documented on this (one report of its
    /// <c>word_emb</c> shape hints it adds none); false is the switch for checking that.
    /// </summary>
    /// <value>Default: true (bilm-tf's graph code, which the Hub module's variable names show it was built with).</value>
    public bool SentenceBoundaries { get; init; } = true;

    /// <summary>
    /// How many distinct tokens' context-independent vectors (character CNN, highway and projection
    /// output) to keep between batches, least recently used dropped first. A cached token skips the
    /// character CNN, which is most of the small models' cost. Exact: a token's vector does not
    /// depend on its batch. The cache is bypassed and cleared while the bi-LM trains, and cleared
    /// when weights are loaded (<see cref="ElmoModel.ClearTokenCache"/>). Memory: capacity ×
    /// projection_dim × 4 bytes (64 MB for the original ELMo's 512 at the default), allocated as it fills.
    /// </summary>
    /// <value>Default: 32,768 tokens; 0 turns the cache off.</value>
    public int TokenCacheCapacity { get; init; } = DefaultTokenCacheCapacity;

    /// <summary>The default of <see cref="TokenCacheCapacity"/>.</summary>
    public const int DefaultTokenCacheCapacity = 32_768;

    /// <summary>Receives load and run diagnostics.</summary>
    /// <value>Default: none.</value>
    public ILogger? Logger { get; init; }
}
