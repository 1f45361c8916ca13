namespace ElmoKeras.Fuzz;

/// <summary>
/// One thing the fuzzer attacks: a file format and the public call that reads it. A target builds
/// its valid input once per worker (<see cref="Prepare"/>), then for each case writes a mutated copy
/// and runs the call on it.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The short name used on the command line and in reports.</summary>
    public abstract string Name { get; }

    /// <summary>What is fed to what, for the report.</summary>
    public abstract string Description { get; }

    /// <summary>The exception types this call documents; anything else is a finding.</summary>
    public abstract IReadOnlyList<Type> Documented { get; }

    /// <summary>Builds the valid input and whatever reference output the cases compare against.</summary>
    public abstract void Prepare(string workDirectory);

    /// <summary>Runs one mutated case in <paramref name="caseDirectory"/> (empty, deleted afterwards).</summary>
    public abstract CaseResult Run(Random random, string caseDirectory);

    /// <summary>Classifies an exception thrown by <see cref="Run"/>.</summary>
    public CaseResult Classify(Exception ex)
    {
        if (ex is OutOfMemoryException || ex.InnerException is OutOfMemoryException) return new(Outcome.Memory, Describe(ex));
        return Documented.Any(t => t.IsInstanceOfType(ex)) ? new(Outcome.Refused, ex.GetType().Name) : new(Outcome.Untyped, Describe(ex));
    }

    private static string Describe(Exception ex)
    {
        string message = ex.Message.ReplaceLineEndings(" ");
        string frame = ex.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
        return $"{ex.GetType().FullName}: {(message.Length > 200 ? message[..200] + "…" : message)} {frame}";
    }

    /// <summary>The max absolute difference, or NaN when a value is not finite.</summary>
    protected static CaseResult Compare(float[] expected, float[] actual, string what)
    {
        if (actual.Any(v => !float.IsFinite(v))) return new(Outcome.NonFinite, what);
        if (expected.Length != actual.Length) return new(Outcome.Changed, $"{what}: {actual.Length} values instead of {expected.Length}");
        return expected.AsSpan().SequenceEqual(actual) ? new(Outcome.Same) : new(Outcome.Changed, what);
    }
}
