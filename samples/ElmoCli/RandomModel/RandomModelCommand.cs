using System.CommandLine;
using ElmoKeras.Elmo;

namespace ElmoCli.RandomModel;

/// <summary>
/// <c>elmo random-model</c>: writes a random-weight model of a published architecture in the
/// bilm-tf layout (<c>options.json</c> + <c>weights.hdf5</c>), for benchmarks and tests where the
/// real weights cannot be downloaded.
/// </summary>
internal static class RandomModelCommand
{
    public static Command Create()
    {
        var arch = CommonOptions.Arch("small, medium or original.");
        var optionsFile = new Option<FileInfo?>("--options-file") { Description = "An options.json to use instead of --arch." };
        var output = CommonOptions.OutputDir("Folder to write options.json and weights.hdf5 into.");
        var seed = CommonOptions.Seed("Random seed of the weights.");
        var command = new Command("random-model", "Write a random-weight ELMo of a published architecture (options.json + weights.hdf5).");
        foreach (Option option in new Option[] { arch, optionsFile, output, seed }) command.Options.Add(option);
        command.SetAction((result, _) =>
        {
            ElmoOptions options = result.GetValue(optionsFile) is FileInfo file ? ElmoOptions.Load(file.FullName)
                : result.GetValue(arch) is string name ? ElmoArchitectures.ByName(name)
                : throw new ArgumentException("Pass --arch small|medium|original or --options-file FILE.");
            string dir = Path.GetFullPath(result.GetValue(output)!);
            using ElmoModel model = ElmoModel.CreateRandom(options, result.GetValue(seed));
            model.Save(Path.Combine(dir, "weights.hdf5"), Path.Combine(dir, "options.json"));
            Console.Error.WriteLine($"wrote {Path.Combine(dir, "options.json")} and {Path.Combine(dir, "weights.hdf5")}");
            return Task.FromResult(0);
        });
        return command;
    }
}
