using System.Diagnostics;
using System.Globalization;

namespace ElmoKeras.Callbacks;

/// <summary>
/// Keras's progress output: <c>12/100 [==&gt;.....] - ETA: 3s - loss: 0.4312 - accuracy: 0.8125</c>,
/// redrawn in place on a terminal (verbose 1) or one line per epoch (verbose 2, or when the output
/// is redirected). Added by <see cref="Model.Fit"/> when verbose &gt; 0.
/// </summary>
public sealed class ProgressBar : Callback
{
    private readonly TextWriter writer;
    private readonly bool interactive;
    private readonly int verbose;
    private readonly Stopwatch clock = new();
    private TimeSpan lastDraw;

    /// <param name="writer">Where to write.</param>
    /// <param name="verbose">1: a bar per batch (in place on a terminal); 2: a line per epoch.</param>
    /// <param name="interactive">Whether <paramref name="writer"/> is a terminal that understands '\r'.</param>
    public ProgressBar(TextWriter writer, int verbose = 1, bool interactive = false)
    {
        this.writer = writer ?? throw new ArgumentNullException(nameof(writer));
        this.verbose = verbose;
        this.interactive = interactive && verbose == 1;
    }

    internal int Steps { get; set; }
    internal int Epochs { get; set; }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch)
    {
        writer.WriteLine($"Epoch {epoch + 1}/{Epochs}");
        clock.Restart();
        lastDraw = TimeSpan.Zero;
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (!interactive) return;
        TimeSpan now = clock.Elapsed;
        if (batch + 1 < Steps && now - lastDraw < TimeSpan.FromMilliseconds(100)) return;
        lastDraw = now;
        double perStep = now.TotalSeconds / (batch + 1);
        string eta = $"ETA: {Duration((Steps - batch - 1) * perStep)}";
        writer.Write($"\r{Bar(batch + 1)} - {eta}{Format(logs)}   ");
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        string perStep = Steps > 0 ? $" {Duration(seconds)} {seconds * 1000 / Steps:F0}ms/step" : "";
        string line = verbose == 1 ? $"{Bar(Steps)} -{perStep}{Format(logs)}" : $"{Steps}/{Steps} -{perStep}{Format(logs)}";
        if (interactive) writer.Write("\r" + line + new string(' ', 3) + Environment.NewLine);
        else writer.WriteLine(line);
    }

    private string Bar(int done)
    {
        const int width = 30;
        int filled = Steps == 0 ? width : (int)((long)width * done / Steps);
        string bar = done >= Steps ? new string('=', width) : new string('=', Math.Max(0, filled - 1)) + ">" + new string('.', width - Math.Max(1, filled));
        string count = done.ToString(CultureInfo.InvariantCulture).PadLeft(Steps.ToString(CultureInfo.InvariantCulture).Length);
        return $"{count}/{Steps} [{bar}]";
    }

    private static string Format(IReadOnlyDictionary<string, double> logs) =>
        string.Concat(logs.Select(kv => string.Create(CultureInfo.InvariantCulture, $" - {kv.Key}: {kv.Value:F4}")));

    private static string Duration(double seconds) => seconds >= 3600
        ? $"{(int)(seconds / 3600)}:{(int)(seconds % 3600 / 60):D2}:{(int)(seconds % 60):D2}"
        : seconds >= 60 ? $"{(int)(seconds / 60)}:{(int)(seconds % 60):D2}" : $"{seconds:F0}s";
}
