using System.Diagnostics;

namespace ElmoKeras.Fuzz;

/// <summary>
/// Runs a target's cases in worker child processes with a time limit per case and a memory limit
/// per worker (resident memory polled, and the managed heap capped with DOTNET_GCHeapHardLimit). A
/// case that kills, hangs or bloats its worker is recorded and a fresh worker continues after it.
/// </summary>
internal sealed class Supervisor(int seed, TimeSpan caseTimeout, long memoryLimitBytes, string workRoot)
{
    public sealed record Finding(string Target, int Case, Outcome Outcome, string Detail);

    public Dictionary<Outcome, int> Run(string target, int cases, List<Finding> findings)
    {
        var counts = Enum.GetValues<Outcome>().ToDictionary(o => o, _ => 0);
        int next = 0;
        while (next < cases)
        {
            int current = -1;
            using Process worker = Start(target, next, cases);
            var lines = new System.Collections.Concurrent.BlockingCollection<string?>();
            worker.OutputDataReceived += (_, e) => lines.Add(e.Data);
            worker.ErrorDataReceived += (_, _) => { };
            worker.BeginOutputReadLine();
            worker.BeginErrorReadLine();
            var sinceStart = Stopwatch.StartNew();
            bool ready = false;
            Outcome? killed = null;
            while (true)
            {
                if (lines.TryTake(out string? line, 100))
                {
                    if (line is null) break; // the worker's stdout closed: it exited
                    if (line == "READY") { ready = true; sinceStart.Restart(); }
                    else if (line.StartsWith("START ", StringComparison.Ordinal)) { current = int.Parse(line[6..]); sinceStart.Restart(); }
                    else if (line.StartsWith("END ", StringComparison.Ordinal))
                    {
                        string[] parts = line.Split(' ', 4);
                        var outcome = Enum.Parse<Outcome>(parts[2]);
                        counts[outcome]++;
                        if (!CaseResult.IsAcceptable(outcome)) findings.Add(new(target, int.Parse(parts[1]), outcome, parts.Length > 3 ? parts[3] : ""));
                        next = int.Parse(parts[1]) + 1;
                        current = -1;
                    }
                    continue;
                }
                worker.Refresh();
                if (worker.HasExited) { worker.WaitForExit(); continue; }
                // Preparing a worker loads TorchSharp and the fixture: allow it the case limit twice.
                if (sinceStart.Elapsed > (ready ? caseTimeout : 2 * caseTimeout)) { killed = Outcome.Hang; Kill(worker); }
                else if (worker.WorkingSet64 > memoryLimitBytes) { killed = Outcome.Memory; Kill(worker); }
            }
            worker.WaitForExit();
            if (next >= cases) break;
            if (current < 0 && !ready) throw new InvalidOperationException($"The {target} worker failed before its first case (exit code {worker.ExitCode}).");
            if (current < 0) current = next;
            Outcome charged = killed ?? Outcome.Crash;
            counts[charged]++;
            findings.Add(new(target, current, charged, killed is null ? $"worker exited with code {worker.ExitCode}" : $"worker killed ({charged})"));
            next = current + 1;
        }
        return counts;
    }

    private Process Start(string target, int from, int to)
    {
        string self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(Supervisor).Assembly.Location);
        foreach (string arg in new[] { "worker", target, seed.ToString(), from.ToString(), to.ToString(), Path.Combine(workRoot, $"{target}-{from}") })
            info.ArgumentList.Add(arg);
        // Managed allocations beyond this fail as OutOfMemoryException inside the case instead of swapping.
        info.Environment["DOTNET_GCHeapHardLimit"] = "0x" + (memoryLimitBytes / 2).ToString("X");
        info.Environment["DOTNET_gcServer"] = "0";
        return Process.Start(info)!;
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }
}
