using System.Net;

namespace ServeLoad;

/// <summary>What to send, from how many clients, for how long.</summary>
internal sealed record LoadSettings(Uri Url, string Imdb, int Clients, TimeSpan Duration, int Count, int MaxTokens, TimeSpan Timeout, int MinTokens = 1)
{
    public static LoadSettings Parse(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("usage: serve-load URL --imdb DIR --clients N --seconds S [--n 2000] [--max-tokens 150] [--min-tokens 1] [--timeout 60]");
        var url = new Uri(args[0]);
        // A load generator points at this machine only: never at another host.
        if (!(url.IsLoopback || (IPAddress.TryParse(url.Host, out IPAddress? ip) && IPAddress.IsLoopback(ip))))
            throw new ArgumentException($"URL must be on the loopback interface (127.0.0.1, localhost or [::1]), got '{url.Host}'.");
        var options = new Dictionary<string, string>();
        for (int i = 1; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
        string Get(string name, string? fallback = null) => options.TryGetValue(name, out string? value) ? value : fallback ?? throw new ArgumentException($"{name} is required.");
        var settings = new LoadSettings(url, Get("--imdb"), int.Parse(Get("--clients")), TimeSpan.FromSeconds(double.Parse(Get("--seconds"), System.Globalization.CultureInfo.InvariantCulture)),
            int.Parse(Get("--n", "2000")), int.Parse(Get("--max-tokens", "150")), TimeSpan.FromSeconds(double.Parse(Get("--timeout", "60"), System.Globalization.CultureInfo.InvariantCulture)),
            int.Parse(Get("--min-tokens", "1")));
        if (settings.Clients is <= 0 or > 4096) throw new ArgumentException($"--clients must be 1-4096, got {settings.Clients}.");
        if (settings.Duration <= TimeSpan.Zero || settings.Duration > TimeSpan.FromHours(2)) throw new ArgumentException($"--seconds must be between 0 and 7200, got {settings.Duration.TotalSeconds}.");
        if (settings.Count <= 0 || settings.MaxTokens <= 0 || settings.MinTokens <= 0) throw new ArgumentException("--n, --max-tokens and --min-tokens must be positive.");
        return settings;
    }
}
