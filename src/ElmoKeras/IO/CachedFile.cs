namespace ElmoKeras.IO;

/// <summary>The result of <see cref="FileFetcher.GetFileAsync"/>.</summary>
/// <param name="FilePath">The full path of the cached file.</param>
/// <param name="ExtractedDirectory">The folder the file was extracted into, or <see langword="null"/> when extraction was not asked for.</param>
/// <param name="Downloaded">Whether this call downloaded the file (<see langword="false"/> when the cached copy was used).</param>
public sealed record CachedFile(string FilePath, string? ExtractedDirectory, bool Downloaded);
