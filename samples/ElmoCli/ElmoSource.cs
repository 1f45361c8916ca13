using System.CommandLine;
using ElmoKeras.Elmo;
using static TorchSharp.torch;

namespace ElmoCli;

/// <summary>
/// Where a command gets its ELMo: <c>--elmo</c> (a folder holding <c>options.json</c> and one weights
/// <c>.hdf5</c>) or <c>--elmo-options</c> with <c>--elmo-weights</c>.
/// </summary>
internal sealed class ElmoSource
{
    public Option<string?> Elmo { get; } = new("--elmo") { Description = "A folder with an ELMo options.json and one weights .hdf5 (AllenNLP/bilm-tf layout)." };
    public Option<FileInfo?> OptionsFile { get; } = new("--elmo-options") { Description = "ELMo options.json (with --elmo-weights)." };
    public Option<FileInfo?> WeightFile { get; } = new("--elmo-weights") { Description = "ELMo weights .hdf5 (with --elmo-options)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Elmo);
        command.Options.Add(OptionsFile);
        command.Options.Add(WeightFile);
    }

    public ElmoModel Load(ParseResult result, Device device)
    {
        string? handle = result.GetValue(Elmo);
        FileInfo? options = result.GetValue(OptionsFile), weights = result.GetValue(WeightFile);
        var settings = new ElmoModelSettings { Device = device };
        if (options is not null || weights is not null)
        {
            if (handle is not null) throw new ArgumentException("Pass either --elmo or --elmo-options with --elmo-weights, not both.");
            if (options is null || weights is null) throw new ArgumentException("--elmo-options and --elmo-weights go together: pass both files.");
            return ElmoModel.Load(options.FullName, weights.FullName, settings);
        }
        if (handle is null)
            throw new ArgumentException("No ELMo given: pass --elmo FOLDER (holding options.json and one weights .hdf5) or --elmo-options FILE --elmo-weights FILE.");
        if (Directory.Exists(handle))
        {
            string optionsPath = Path.Combine(handle, "options.json");
            string[] hdf5 = Directory.GetFiles(handle, "*.hdf5").Concat(Directory.GetFiles(handle, "*.h5")).ToArray();
            if (!File.Exists(optionsPath) || hdf5.Length != 1)
                throw new ArgumentException($"--elmo {handle}: expected a folder with options.json and exactly one weights .hdf5; found {(File.Exists(optionsPath) ? "options.json" : "no options.json")} and {hdf5.Length} .hdf5 file(s).");
            return ElmoModel.Load(optionsPath, hdf5[0], settings);
        }
        throw new ArgumentException($"--elmo {handle}: no such folder. Pass a folder with options.json and one weights .hdf5, or --elmo-options/--elmo-weights.");
    }
}
