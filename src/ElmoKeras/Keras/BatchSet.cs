namespace ElmoKeras;

/// <summary>
/// A call's inputs (one <see cref="BatchSource"/> per model input) and, for Fit and Evaluate, its
/// labels; disposing it frees every tensor the call made from the caller's data.
/// </summary>
internal sealed class BatchSet : IDisposable
{
    public BatchSet(BatchSource[] inputs, BatchSource? labels)
    {
        Inputs = inputs;
        Labels = labels;
    }

    public BatchSource[] Inputs { get; }
    public BatchSource? Labels { get; }
    public int Count => Inputs[0].Count;

    public BatchSource RequireLabels() => Labels ?? throw new InvalidOperationException("This call was given no labels.");

    public void Dispose()
    {
        foreach (BatchSource input in Inputs) input.Dispose();
        Labels?.Dispose();
    }
}
