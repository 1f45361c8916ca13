using System.Diagnostics;
using System.Globalization;
using System.Text;
using ElmoKeras.Fuzz;
using ElmoKeras.Fuzz.Targets;

// Deterministic fuzzing of every format ElmoKeras reads (issue 12).
//   run [--mode short|long] [--cases N] [--seed S] [--targets a,b] [--report FILE]
//   worker TARGET SEED FROM TO WORKDIR            (started by run; one child process per worker)
FuzzTarget[] all = [new Hdf5WeightsTarget(), new KerasWeightsTarget(), new OptionsTarget(), new CheckpointTarget(),
                    new HubModuleTarget(), new ArchiveTarget(), new EmbedInputTarget(), new ImdbFolderTarget()];

if (args is ["worker", var name, var seedText, var fromText, var toText, var work])
    return Worker.Run(all.Single(t => t.Name == name), int.Parse(seedText), int.Parse(fromText), int.Parse(toText), work);

string mode = Option("--mode") ?? "short";
int cases = int.Parse(Option("--cases") ?? (mode == "long" ? "2000" : "100"), CultureInfo.InvariantCulture);
int seed = int.Parse(Option("--seed") ?? "12", CultureInfo.InvariantCulture);
string[] chosen = Option("--targets")?.Split(',') ?? all.Select(t => t.Name).ToArray();
string? report = Option("--report");
var timeout = TimeSpan.FromSeconds(mode == "long" ? 60 : 30);
const long MemoryLimit = 3L << 30;

string workRoot = Path.Combine(Path.GetTempPath(), $"elmokeras-fuzz-{Environment.ProcessId}");
var supervisor = new Supervisor(seed, timeout, MemoryLimit, workRoot);
var findings = new List<Supervisor.Finding>();
var table = new StringBuilder();
table.AppendLine("| target | cases | loaded, same | loaded, changed | refused (documented) | untyped | non-finite | partial load | hang | crash | memory |");
table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
var clock = Stopwatch.StartNew();
try
{
    foreach (FuzzTarget target in all.Where(t => chosen.Contains(t.Name)))
    {
        var targetClock = Stopwatch.StartNew();
        Dictionary<Outcome, int> c = supervisor.Run(target.Name, cases, findings);
        int run = cases - c[Outcome.Unmutated];
        table.AppendLine($"| {target.Description} | {run} | {c[Outcome.Same]} | {c[Outcome.Changed]} | {c[Outcome.Refused]} | {c[Outcome.Untyped]} | {c[Outcome.NonFinite]} | {c[Outcome.Partial]} | {c[Outcome.Hang]} | {c[Outcome.Crash]} | {c[Outcome.Memory]} |");
        Console.Error.WriteLine($"fuzz: {target.Name}: {run} cases in {targetClock.Elapsed.TotalSeconds:F0} s");
    }
}
finally
{
    try { Directory.Delete(workRoot, recursive: true); } catch (IOException) { }
}

Console.WriteLine($"Fuzz run: mode {mode}, seed {seed}, {cases} cases per target, {clock.Elapsed.TotalSeconds:F0} s.");
Console.WriteLine();
Console.Write(table);
foreach (Supervisor.Finding f in findings)
    Console.WriteLine($"FINDING {f.Target} case {f.Case}: {f.Outcome} {f.Detail}  (replay: worker {f.Target} {seed} {f.Case} {f.Case + 1} /tmp/fuzz-replay)");
if (report is not null) File.WriteAllText(report, table.ToString());
Console.WriteLine(findings.Count == 0 ? "fuzz: every case loaded with finite output or failed with a documented exception." : $"fuzz: {findings.Count} finding(s).");
return findings.Count == 0 ? 0 : 1;

string? Option(string name)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
