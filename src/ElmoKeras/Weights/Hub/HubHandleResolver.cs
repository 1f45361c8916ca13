using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ElmoKeras.IO;

namespace ElmoKeras.Weights.Hub;

/// <summary>
/// Turns a TF Hub handle into a module folder, as <c>hub.Module(handle)</c> does: a local module
/// folder is used as is; a local <c>.tar.gz</c> is extracted into the cache; an http(s) handle
/// (e.g. <c>https://tfhub.dev/google/elmo/2</c>) is fetched as <c>handle?tf-hub-format=compressed</c>
/// and extracted into <c>&lt;cache&gt;/&lt;sha1 of the handle&gt;/</c>, TF Hub's own cache layout, so
/// modules TensorFlow already downloaded are reused. The cache is <c>TFHUB_CACHE_DIR</c>, else
/// <c>&lt;temp&gt;/tfhub_modules</c>.
/// </summary>
internal static class HubHandleResolver
{
    /// <summary>The environment variable TF Hub reads for its cache folder.</summary>
    public const string CacheEnvironmentVariable = "TFHUB_CACHE_DIR";

    /// <summary>The cache folder: <paramref name="cacheDirectory"/>, else <c>TFHUB_CACHE_DIR</c>, else <c>&lt;temp&gt;/tfhub_modules</c>.</summary>
    public static string CacheDirectory(string? cacheDirectory = null) =>
        Path.GetFullPath(cacheDirectory
            ?? (Environment.GetEnvironmentVariable(CacheEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : Path.Combine(Path.GetTempPath(), "tfhub_modules")));

    /// <summary>The cache key TF Hub uses for a handle: the SHA-1 of its text, in lowercase hex.</summary>
    public static string CacheKey(string handle) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(handle)));

    /// <summary>Resolves <paramref name="handle"/> to a module folder, downloading and extracting when needed.</summary>
    /// <exception cref="ArgumentException">The handle is neither a folder, an archive nor an http(s) URL.</exception>
    public static async Task<string> ResolveAsync(string handle, string? cacheDirectory = null, HttpClient? httpClient = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(handle);
        logger ??= NullLogger.Instance;
        if (Directory.Exists(handle)) return Path.GetFullPath(handle);
        string cache = CacheDirectory(cacheDirectory);
        if (File.Exists(handle))
        {
            if (!IsArchive(handle)) throw new ArgumentException($"'{handle}' is a file but not a .tar.gz/.tgz module archive; pass a module folder, an archive or a TF Hub URL.", nameof(handle));
            string target = Path.Combine(cache, CacheKey(Path.GetFullPath(handle)));
            ArchiveExtractor.Extract(handle, target, logger: logger, cancellationToken: cancellationToken);
            return target;
        }
        if (Uri.TryCreate(handle, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            string key = CacheKey(handle);
            string target = Path.Combine(cache, key);
            string archive = Path.Combine(cache, key + ".tar.gz");
            // TF Hub counts a non-empty module folder as present; our extraction renames into place when complete.
            if (!Directory.Exists(target) || !Directory.EnumerateFileSystemEntries(target).Any())
            {
                var compressed = new UriBuilder(uri) { Query = string.IsNullOrEmpty(uri.Query) ? "tf-hub-format=compressed" : uri.Query.TrimStart('?') + "&tf-hub-format=compressed" }.Uri;
                logger.LogInformation("Downloading TF Hub module {Handle} from {Uri}", handle, compressed);
                await FileFetcher.DownloadFileAsync(compressed, archive, new DownloadOptions { HttpClient = httpClient, Logger = logger }, null, cancellationToken).ConfigureAwait(false);
                ArchiveExtractor.Extract(archive, target, logger: logger, cancellationToken: cancellationToken);
                File.Delete(archive);
                await File.WriteAllTextAsync(Path.Combine(cache, key + ".descriptor.txt"), $"Module: {handle}\nDownloaded: {DateTime.UtcNow:O}\n", cancellationToken).ConfigureAwait(false);
            }
            return target;
        }
        throw new ArgumentException($"TF Hub handle '{handle}' is neither an existing module folder, a .tar.gz module archive nor an http(s) URL.", nameof(handle));
    }

    private static bool IsArchive(string path) =>
        path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);
}
