namespace ElmoKeras.Tests.Data;

/// <summary>
/// Finds the project's shared data (the repository is cloned with <c>shared/</c> beside it) by
/// walking up from the test's output folder.
/// </summary>
internal static class SharedData
{
    public const string ImdbArchiveSha256 = "15efe61b046bab2235aba67dd0c29f9768a163a0b62ec53fbed7c6f03e292738";

    /// <summary>The path of <c>shared/data/aclImdb_v1.tar.gz</c>, or <see langword="null"/> when there is none.</summary>
    public static string? ImdbArchive => Find(Path.Combine("data", "aclImdb_v1.tar.gz"));

    /// <summary>Skips the calling test, saying why, when the IMDB archive is not there.</summary>
    public static string RequireImdbArchive()
    {
        string? path = ImdbArchive;
        if (path is null)
            Assert.Skip(MissingImdbArchive);
        return path;
    }

    public const string MissingImdbArchive =
        "shared/data/aclImdb_v1.tar.gz was not found beside the repository (walking up from the test output folder); clone the repository with shared/ beside it to run this test.";

    private static string? Find(string relative)
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "shared", relative);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
