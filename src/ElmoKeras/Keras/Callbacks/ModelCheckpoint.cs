namespace ElmoKeras.Callbacks;

/// <summary>
/// Saves the model's weights (<see cref="Model.SaveWeights"/>) after each epoch, or only when
/// <see cref="Monitor"/> improved. <c>{epoch}</c> in the path is replaced by the 1-based epoch.
/// </summary>
public sealed class ModelCheckpoint(string filePath, string monitor = "val_loss", bool saveBestOnly = false) : Callback
{
    private double best;

    /// <summary>Where to write; may contain <c>{epoch}</c>.</summary>
    public string FilePath { get; } = filePath ?? throw new ArgumentNullException(nameof(filePath));
    /// <summary>The log compared when <see cref="SaveBestOnly"/>.</summary>
    public string Monitor { get; } = monitor;
    /// <summary>Save only when the monitored value improved.</summary>
    public bool SaveBestOnly { get; } = saveBestOnly;

    private bool Maximise => Monitor.Contains("acc", StringComparison.Ordinal) || Monitor.Contains("auc", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override void OnTrainBegin() => best = Maximise ? double.NegativeInfinity : double.PositiveInfinity;

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (SaveBestOnly)
        {
            if (!logs.TryGetValue(Monitor, out double value))
                throw new InvalidOperationException($"ModelCheckpoint monitors '{Monitor}', which is not in the logs ({string.Join(", ", logs.Keys)}).");
            if (Maximise ? value <= best : value >= best) return;
            best = value;
        }
        Model!.SaveWeights(FilePath.Replace("{epoch}", (epoch + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }
}
