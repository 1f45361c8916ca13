using ElmoKeras.Data;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Data;

/// <summary>
/// Extracts the shared IMDB archive once for a test class into a temporary cache, through the same
/// <see cref="Imdb.GetDatasetDirectoryAsync"/> path users take with a local archive.
/// </summary>
public sealed class ImdbArchiveFixture : IAsyncLifetime
{
    private readonly TempFolder cache = new("elmokeras-imdb");

    public string? Archive { get; } = SharedData.ImdbArchive;

    public string CacheDirectory => cache.Path;

    /// <summary>The extracted <c>aclImdb</c> folder, or <see langword="null"/> when the archive is absent.</summary>
    public string? Root { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (Archive is not null)
            Root = await Imdb.GetDatasetDirectoryAsync(new ImdbOptions { Source = Archive, CacheDirectory = CacheDirectory, Sha256 = SharedData.ImdbArchiveSha256 });
    }

    /// <summary>The extracted folder; skips the calling test when the archive is absent.</summary>
    public string RequireRoot()
    {
        if (Root is null)
            Assert.Skip(SharedData.MissingImdbArchive);
        return Root;
    }

    public ValueTask DisposeAsync()
    {
        cache.Dispose();
        return ValueTask.CompletedTask;
    }
}
