using System.CommandLine;
using ElmoKeras.Elmo;
using static TorchSharp.torch;

namespace ElmoCli;

/// <summary>
/// Where a command gets its ELMo: <c>--elmo HANDLE</c> (a TF Hub handle or URL, a Hub module folder or
/// <c>.tar.gz</c>, or a folder holding <c>options.json</c> and one weights <c>.hdf5</c>) or explicit
/// bilm-tf files. The option names differ per command (AllenNLP's <c>--options-file</c> for embed).
/// </summary>
internal sealed class ElmoSource(string optionsName = "--elmo-options", string weightsName = "--elmo-weights", string? defaultHandle = null)
{
    /// <summary>TF Hub's ELMo v2, the module the Keras recipe uses.</summary>
    public const string DefaultHubHandle = "https://tfhub.dev/google/elmo/2";

    public Option<string?> Elmo { get; } = new("--elmo")
    {
        Description = "A TF Hub handle or URL (e.g. " + DefaultHubHandle + "), a Hub module folder or .tar.gz, or a folder with options.json and one weights .hdf5." + (defaultHandle is null ? "" : " Default: " + defaultHandle),
    };
    public Option<FileInfo?> OptionsFile { get; } = new(optionsName) { Description = "ELMo options.json (bilm-tf/AllenNLP layout). With --elmo pointing at a Hub module, its settings win and every shape is checked against them." };
    public Option<FileInfo?> WeightFile { get; } = new(weightsName) { Description = "ELMo weights .hdf5 (bilm-tf/AllenNLP layout), with the options file." };

    public Option<string?> WeightSha256 { get; } = new("--weight-sha256")
    {
        Description = "Expected SHA-256 (64 hex digits) of the weights .hdf5, or of the module .tar.gz given to --elmo; checked before anything is loaded.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Elmo);
        command.Options.Add(OptionsFile);
        command.Options.Add(WeightFile);
        command.Options.Add(WeightSha256);
    }

    /// <summary>The handle or weight file given, for naming the model (null when neither was).</summary>
    public string? SourceName(ParseResult result) => result.GetValue(Elmo) ?? result.GetValue(WeightFile)?.FullName ?? defaultHandle;

    public async Task<ElmoModel> LoadAsync(ParseResult result, ElmoModelSettings settings, CancellationToken cancellationToken = default)
    {
        string? handle = result.GetValue(Elmo);
        FileInfo? options = result.GetValue(OptionsFile), weights = result.GetValue(WeightFile);
        string? sha256 = result.GetValue(WeightSha256);
        if (weights is not null)
        {
            if (handle is not null) throw new ArgumentException($"Pass either --elmo or {OptionsFile.Name} with {WeightFile.Name}, not both.");
            if (options is null) throw new ArgumentException($"{OptionsFile.Name} and {WeightFile.Name} go together: pass both files.");
            return ElmoModel.Load(options.FullName, weights.FullName, settings, sha256);
        }
        handle ??= defaultHandle;
        if (handle is null)
            throw new ArgumentException($"No ELMo given: pass --elmo HANDLE (a TF Hub handle, module folder or .tar.gz, or a folder with options.json and one weights .hdf5) or {OptionsFile.Name} FILE {WeightFile.Name} FILE.");
        ElmoOptions? explicitOptions = options is null ? null : ElmoOptions.Load(options.FullName);
        if (Directory.Exists(handle) && !File.Exists(Path.Combine(handle, "tfhub_module.pb")) && !Directory.Exists(Path.Combine(handle, "variables")))
        {
            string optionsPath = Path.Combine(handle, "options.json");
            string[] hdf5 = Directory.GetFiles(handle, "*.hdf5").Concat(Directory.GetFiles(handle, "*.h5")).ToArray();
            if (!File.Exists(optionsPath) || hdf5.Length != 1)
                throw new ArgumentException($"--elmo {handle}: expected a TF Hub module (tfhub_module.pb, variables/) or a folder with options.json and exactly one weights .hdf5; found {(File.Exists(optionsPath) ? "options.json" : "no options.json")} and {hdf5.Length} .hdf5 file(s).");
            return ElmoModel.Load(options?.FullName ?? optionsPath, hdf5[0], settings, sha256);
        }
        if (sha256 is not null)
        {
            // A module is many files; only its archive has one hash to check.
            if (!File.Exists(handle))
                throw new ArgumentException($"--weight-sha256 checks a weights .hdf5 or a module .tar.gz; '{handle}' is neither (download the module archive and pass its path).");
            VerifySha256(handle, sha256);
        }
        return await ElmoModel.FromHubAsync(handle, explicitOptions, settings, cancellationToken: cancellationToken);
    }

    private static void VerifySha256(string path, string expected)
    {
        if (expected.Length != 64 || !expected.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"--weight-sha256 must be 64 hexadecimal digits, got '{expected}'.");
        using FileStream stream = File.OpenRead(path);
        string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new ElmoKeras.Weights.WeightFormatException($"SHA-256 of '{path}' is {actual}, expected {expected.ToLowerInvariant()}; nothing was loaded.") { FilePath = path };
    }
}
