namespace ElmoKeras.Fuzz;

/// <summary>
/// Runs cases of one target in this (child) process, one at a time, telling the supervisor on
/// stdout when each starts and how it ended, so a crash or hang is charged to the right case.
/// </summary>
internal static class Worker
{
    public static int Run(FuzzTarget target, int seed, int from, int to, string workDirectory)
    {
        Directory.CreateDirectory(workDirectory);
        // One thread: cases are tiny, and the machine is shared with the test run and other workers.
        ElmoKeras.Runtime.TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(1);
        target.Prepare(workDirectory);
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        for (int index = from; index < to; index++)
        {
            Console.Out.WriteLine($"START {index}");
            Console.Out.Flush();
            string caseDirectory = Path.Combine(workDirectory, $"case-{index}");
            Directory.CreateDirectory(caseDirectory);
            CaseResult result;
            try
            {
                result = target.Run(new Random(CaseSeed(seed, target.Name, index)), caseDirectory);
            }
            catch (Exception ex)
            {
                result = target.Classify(ex);
                if (!CaseResult.IsAcceptable(result.Outcome)) Console.Error.WriteLine($"case {index}: {ex}");
            }
            finally
            {
                // ELMOKERAS_FUZZ_KEEP=1 keeps the mutated files of a replayed case for inspection.
                if (Environment.GetEnvironmentVariable("ELMOKERAS_FUZZ_KEEP") != "1")
                    try { Directory.Delete(caseDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            Console.Out.WriteLine($"END {index} {result.Outcome} {result.Detail.ReplaceLineEndings(" ")}");
            Console.Out.Flush();
        }
        return 0;
    }

    /// <summary>A seed that depends only on the run's seed, the target's name and the case number.</summary>
    public static int CaseSeed(int seed, string target, int index)
    {
        int hash = seed;
        foreach (char c in target) hash = unchecked(hash * 31 + c);
        return unchecked(hash * 1_000_003 + index);
    }
}
