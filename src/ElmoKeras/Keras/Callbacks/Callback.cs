namespace ElmoKeras.Callbacks;

/// <summary>
/// Hooks into <see cref="Model.Fit"/>; override the ones you need (all do nothing by default).
/// Logs map names such as <c>loss</c>, <c>accuracy</c>, <c>val_loss</c> to values.
/// </summary>
public abstract class Callback
{
    /// <summary>The model being trained; set before <see cref="OnTrainBegin"/>.</summary>
    public Model? Model { get; internal set; }

    /// <summary>Training starts.</summary>
    public virtual void OnTrainBegin() { }

    /// <summary>Training ended (normally, stopped early, or cancelled).</summary>
    public virtual void OnTrainEnd() { }

    /// <summary>An epoch starts (0-based).</summary>
    public virtual void OnEpochBegin(int epoch) { }

    /// <summary>An epoch ended, validation included.</summary>
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>A training batch starts (0-based within the epoch).</summary>
    public virtual void OnBatchBegin(int batch) { }

    /// <summary>A training batch ended; <paramref name="logs"/> hold the epoch's running averages.</summary>
    public virtual void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }
}
