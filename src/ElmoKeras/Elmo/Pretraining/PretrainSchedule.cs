namespace ElmoKeras.Elmo.Pretraining;

/// <summary>
/// When <see cref="ElmoPretrainer.Train(IReadOnlyList{IReadOnlyList{string}}, PretrainSchedule, IProgress{PretrainStep}?, CancellationToken)"/> stops and when it saves checkpoints. Training stops at the
/// first limit reached; at least one limit must be set.
/// </summary>
public sealed record PretrainSchedule
{
    /// <summary>Stop once the trainer has done this many steps in all (a resumed run counts the earlier ones).</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Stop once the trainer has seen this many tokens in all (per direction).</summary>
    public long? MaxTokens { get; init; }

    /// <summary>Stop after this much time in this call.</summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>Where <see cref="ElmoPretrainer.SaveCheckpoint"/> writes during training; none when null.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>How often a checkpoint is written, and once more when training stops.</summary>
    /// <value>Default: every 10 minutes.</value>
    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromMinutes(10);

    internal void Validate()
    {
        if (MaxSteps is null && MaxTokens is null && MaxTime is null)
            throw new ArgumentException("A pretraining schedule needs a limit: MaxSteps, MaxTokens or MaxTime.");
        if (MaxSteps is <= 0 || MaxTokens is <= 0 || MaxTime <= TimeSpan.Zero)
            throw new ArgumentException($"Schedule limits must be positive (MaxSteps {MaxSteps}, MaxTokens {MaxTokens}, MaxTime {MaxTime}).");
        if (CheckpointEvery <= TimeSpan.Zero) throw new ArgumentException($"CheckpointEvery ({CheckpointEvery}) must be positive.");
    }
}
