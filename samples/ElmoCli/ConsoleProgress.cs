using System.Diagnostics;

namespace ElmoCli;

/// <summary>
/// Reports "done/total" on stderr: redrawn in place on a terminal, a line every few seconds when
/// redirected, so logs stay readable. A report of 0 done starts a new pass (the library sends one
/// before each): the rate and ETA then count from there, not from the first pass.
/// </summary>
internal sealed class ConsoleProgress(string what, TextWriter? writer = null) : IProgress<(int Done, int Total)>
{
    private readonly TextWriter writer = writer ?? Console.Error;
    private readonly bool interactive = writer is null && !Console.IsErrorRedirected;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan? lastReport;

    public void Report((int Done, int Total) value)
    {
        if (value.Done == 0)
        {
            clock.Restart();
            lastReport = null;
            return;
        }
        bool finished = value.Done >= value.Total;
        TimeSpan now = clock.Elapsed;
        if (!finished && lastReport is TimeSpan last && now - last < (interactive ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5))) return;
        lastReport = now;
        double rate = value.Done / Math.Max(now.TotalSeconds, 1e-9);
        string eta = rate > 0 && !finished ? $", ETA {FormatDuration(TimeSpan.FromSeconds((value.Total - value.Done) / rate))}" : "";
        string line = $"{what} {value.Done}/{value.Total} ({100.0 * value.Done / value.Total:F0}%, {rate:F1}/s{eta})";
        if (interactive) writer.Write("\r" + line.PadRight(70) + (finished ? Environment.NewLine : ""));
        else writer.WriteLine(line);
    }

    /// <summary>h:mm:ss with hours past 24 kept (TimeSpan's hh wraps at a day).</summary>
    internal static string FormatDuration(TimeSpan span) => $"{(int)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}";
}
