namespace ElmoKeras.Data;

/// <summary>What a dataset loader does with a malformed file (bad name, not UTF-8, empty).</summary>
public enum MalformedFileHandling
{
    /// <summary>Stop with a <see cref="DatasetFormatException"/> naming the first malformed file and how many there are.</summary>
    Throw,

    /// <summary>Leave malformed files out, logging each at Debug level and a count per reason at Warning level.</summary>
    Skip,
}
