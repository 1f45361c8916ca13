namespace ElmoKeras.Callbacks;

/// <summary>Stops training when <see cref="Monitor"/> has not improved for <see cref="Patience"/> epochs.</summary>
/// <param name="monitor">The log to watch; names containing "acc" or "auc" are maximised, others minimised.</param>
/// <param name="patience">Epochs without improvement tolerated.</param>
/// <param name="minDelta">Smallest change counted as an improvement.</param>
/// <param name="restoreBestWeights">Put back the weights of the best epoch when stopping or at the end.</param>
public sealed class EarlyStopping(string monitor = "val_loss", int patience = 0, double minDelta = 0, bool restoreBestWeights = false) : Callback
{
    private double best;
    private int wait;
    private Dictionary<Weight, TorchSharp.torch.Tensor>? bestWeights;

    /// <summary>The log watched.</summary>
    public string Monitor { get; } = monitor;
    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; } = patience;
    /// <summary>The epoch training stopped at, or null if it ran to the end.</summary>
    public int? StoppedEpoch { get; private set; }

    private bool Maximise => Monitor.Contains("acc", StringComparison.Ordinal) || Monitor.Contains("auc", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override void OnTrainBegin()
    {
        best = Maximise ? double.NegativeInfinity : double.PositiveInfinity;
        wait = 0;
        StoppedEpoch = null;
        DisposeBest();
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(Monitor, out double value))
            throw new InvalidOperationException($"EarlyStopping monitors '{Monitor}', which is not in the logs ({string.Join(", ", logs.Keys)}). Pass validation data for val_* names.");
        bool improved = Maximise ? value > best + minDelta : value < best - minDelta;
        if (improved)
        {
            best = value;
            wait = 0;
            if (restoreBestWeights) SnapshotWeights();
            return;
        }
        if (++wait > Patience)
        {
            StoppedEpoch = epoch;
            Model!.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd()
    {
        if (restoreBestWeights && bestWeights is not null)
        {
            using var noGrad = TorchSharp.torch.no_grad();
            foreach (var (weight, value) in bestWeights) weight.Parameter.copy_(value);
            foreach (Layer layer in Model!.Layers) layer.OnWeightsChanged();
        }
        DisposeBest();
    }

    private void SnapshotWeights()
    {
        DisposeBest();
        bestWeights = Model!.Weights.ToDictionary(w => w, w => w.Parameter.detach().clone());
    }

    private void DisposeBest()
    {
        if (bestWeights is null) return;
        foreach (var value in bestWeights.Values) value.Dispose();
        bestWeights = null;
    }
}
