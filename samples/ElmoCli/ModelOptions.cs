using System.CommandLine;
using ElmoKeras.Elmo;
using ElmoKeras.Runtime;
using static TorchSharp.torch;

namespace ElmoCli;

/// <summary>The options every command that loads an ELMo model shares.</summary>
internal sealed class ModelOptions
{
    public Option<FileInfo?> OptionsFile { get; } = new("--options-file") { Description = "ELMo options.json (bilm-tf/AllenNLP layout)." };
    public Option<FileInfo?> WeightFile { get; } = new("--weight-file") { Description = "ELMo weights .hdf5 (bilm-tf/AllenNLP layout)." };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };

    public void AddTo(Command command)
    {
        command.Options.Add(OptionsFile);
        command.Options.Add(WeightFile);
        command.Options.Add(Device);
    }

    public ElmoModel Load(ParseResult result, bool stateful, bool bfloat16 = false)
    {
        FileInfo? options = result.GetValue(OptionsFile);
        FileInfo? weights = result.GetValue(WeightFile);
        if (options is null || weights is null)
            throw new ArgumentException("No ELMo model given: pass --options-file FILE and --weight-file FILE (an AllenNLP/bilm-tf options.json and its weights .hdf5).");
        return ElmoModel.Load(options.FullName, weights.FullName, new ElmoModelSettings { Device = ParseDevice(result.GetValue(Device)!), Stateful = stateful, ComputeType = bfloat16 ? ScalarType.BFloat16 : ScalarType.Float32 });
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
