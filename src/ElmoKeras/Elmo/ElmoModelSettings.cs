using Microsoft.Extensions.Logging;
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

    /// <summary>Receives load and run diagnostics.</summary>
    /// <value>Default: none.</value>
    public ILogger? Logger { get; init; }
}
