using System.CommandLine;
using ElmoKeras.Elmo;
using ElmoKeras.Runtime;
using static TorchSharp.torch;

namespace ElmoCli;

/// <summary>The options every command that loads an ELMo model shares.</summary>
internal sealed class ModelOptions
{
    private readonly ElmoSource source = new("--options-file", "--weight-file");

    public Option<string> Device { get; } = CommonOptions.Device();

    public Option<int> TokenCache { get; } = new("--token-cache")
    {
        Description = "Distinct tokens whose character-CNN output is kept between batches (exact; 0 = off).",
        DefaultValueFactory = _ => ElmoModelSettings.DefaultTokenCacheCapacity,
    };

    public void AddTo(Command command)
    {
        source.AddTo(command);
        command.Options.Add(Device);
        command.Options.Add(TokenCache);
    }

    /// <summary>The handle or weight file the model comes from, as given (null when neither was).</summary>
    public string? SourceName(ParseResult result) => source.SourceName(result);

    public Task<ElmoModel> LoadAsync(ParseResult result, bool stateful, bool bfloat16 = false, CancellationToken cancellationToken = default) =>
        source.LoadAsync(result, Settings(result, stateful, bfloat16), cancellationToken);

    /// <summary>The run settings these options describe (for models not loaded from files, e.g. random ones).</summary>
    public ElmoModelSettings Settings(ParseResult result, bool stateful = false, bool bfloat16 = false)
    {
        int tokenCache = result.GetValue(TokenCache);
        if (tokenCache < 0) throw new ArgumentException($"--token-cache must be 0 (off) or a positive number of tokens, got {tokenCache}.");
        return new ElmoModelSettings
        {
            Device = ParseDevice(result.GetValue(Device)!),
            Stateful = stateful,
            ComputeType = bfloat16 ? ScalarType.BFloat16 : ScalarType.Float32,
            TokenCacheCapacity = tokenCache,
        };
    }

    public static Device ParseDevice(string text)
    {
        // First touch of TorchSharp: load it here so a missing native prerequisite gets our explanation.
        TorchRuntime.EnsureLoaded();
        string value = text.Trim().ToLowerInvariant();
        if (value == "cpu") return CPU;
        if (value == "cuda" || value.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!TorchRuntime.CudaAvailable())
                throw new ArgumentException($"--device {text}: CUDA is not available on this machine (or the application references the CPU libtorch backend). Use --device cpu.");
            return device(value);
        }
        throw new ArgumentException($"--device must be cpu, cuda or cuda:N, got '{text}'.");
    }
}
