namespace ElmoKeras.Fuzz;

/// <summary>What one fuzz case did. Only the first four are acceptable.</summary>
internal enum Outcome
{
    /// <summary>Loaded, and the output is finite and identical to the unmutated input's.</summary>
    Same,
    /// <summary>Loaded with finite output that differs: a change no checksum in the format covers.</summary>
    Changed,
    /// <summary>Refused with one of the library's documented exception types.</summary>
    Refused,
    /// <summary>The mutation left the bytes as they were (counted so the totals add up).</summary>
    Unmutated,
    /// <summary>An exception type the library does not document for this call.</summary>
    Untyped,
    /// <summary>Loaded, but an output holds NaN or infinity.</summary>
    NonFinite,
    /// <summary>A failed load changed the model it was loading into.</summary>
    Partial,
    /// <summary>The case ran past its time limit.</summary>
    Hang,
    /// <summary>The worker process died.</summary>
    Crash,
    /// <summary>The worker went past its memory limit (or threw OutOfMemoryException).</summary>
    Memory,
}

/// <summary>The outcome of one case with a line of detail (the exception, or what changed).</summary>
internal sealed record CaseResult(Outcome Outcome, string Detail = "")
{
    public static bool IsAcceptable(Outcome outcome) => outcome is Outcome.Same or Outcome.Changed or Outcome.Refused or Outcome.Unmutated;
}
