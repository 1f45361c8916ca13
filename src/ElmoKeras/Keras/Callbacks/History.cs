namespace ElmoKeras.Callbacks;

/// <summary>Every epoch's logs; returned by <see cref="Model.Fit"/>.</summary>
public sealed class History : Callback
{
    private readonly Dictionary<string, List<double>> values = new(StringComparer.Ordinal);

    /// <summary>The epochs recorded (0-based).</summary>
    public List<int> Epochs { get; } = [];

    /// <summary>Per-epoch values by name (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, …).</summary>
    public IReadOnlyDictionary<string, List<double>> Values => values;

    /// <summary>The per-epoch values of <paramref name="name"/>.</summary>
    public IReadOnlyList<double> this[string name] => values.TryGetValue(name, out List<double>? list)
        ? list
        : throw new KeyNotFoundException($"History has no '{name}'; it has {string.Join(", ", values.Keys)}.");

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Epochs.Add(epoch);
        foreach (var (name, value) in logs)
        {
            if (!values.TryGetValue(name, out List<double>? list)) values[name] = list = [];
            list.Add(value);
        }
    }
}
