using System.Diagnostics;
using ElmoKeras.Callbacks;

namespace ElmoCli.Sentiment;

/// <summary>
/// Wall time of every epoch (training and validation passes), so a run shows what the feature
/// cache saves: the time before the first epoch is spent computing cached features.
/// </summary>
internal sealed class EpochTimer : Callback
{
    private readonly Stopwatch clock = new();

    public List<double> Seconds { get; } = [];

    public override void OnEpochBegin(int epoch) => clock.Restart();

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => Seconds.Add(Math.Round(clock.Elapsed.TotalSeconds, 2));
}
