namespace ElmoCli.Embed;

/// <summary>What one cheap pass over the input tells before any embedding: its size and identity.</summary>
/// <param name="Lines">Sentences in the file.</param>
/// <param name="Sha256">SHA-256 of the file's bytes.</param>
internal sealed record InputScan(long Lines, string Sha256);
