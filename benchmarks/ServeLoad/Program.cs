using System.Text.Json;
using ElmoCli.Bench;
using ServeLoad;

// serve-load URL --imdb DIR --clients N --seconds S [--n 2000] [--max-tokens 150] [--min-tokens 1] [--timeout 60]
// Sends IMDB test reviews (first --max-tokens whitespace tokens of those with at least --min-tokens,
// test/pos then test/neg in ordinal order) to POST URL/embed from N concurrent clients for S seconds, then prints one JSON line.
try
{
    LoadSettings settings = LoadSettings.Parse(args);
    string[] reviews = [.. ImdbTestReviews.Load(settings.Imdb, settings.Count, settings.MaxTokens, settings.MinTokens).Select(tokens => string.Join(' ', tokens))];
    LoadResult result = await LoadRun.RunAsync(settings, reviews);
    Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
    return 0;
}
catch (Exception ex) when (ex is ArgumentException or DirectoryNotFoundException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
