using System.CommandLine;
using ElmoCli;
using ElmoCli.Embed;
using ElmoCli.Merge;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.Cli;

/// <summary>Runs <c>elmo embed</c> and <c>elmo merge</c> in-process with the fixture model, in a temp folder.</summary>
internal sealed class CliHarness : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("elmokeras-cli-").FullName;

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public string Path(string name) => System.IO.Path.Combine(Dir, name);

    public string WriteInput(IEnumerable<string> lines, string name = "input.txt")
    {
        string path = Path(name);
        File.WriteAllLines(path, lines);
        return path;
    }

    public static string[] FixtureLines(int count)
    {
        string[][] columns = Fixtures.ReadSentences();
        string[] all = columns.SelectMany(c => c).ToArray();
        return Enumerable.Range(0, count).Select(i => all[i % all.Length]).ToArray();
    }

    public Task<(int Code, string Error)> Embed(params string[] args) =>
        Invoke(["embed", .. args, "--options-file", Fixtures.ElmoOptions, "--weight-file", Fixtures.ElmoWeights]);

    public Task<(int Code, string Error)> Merge(string output) => Invoke(["merge", output]);

    private static async Task<(int Code, string Error)> Invoke(string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        var error = new StringWriter();
        int code = await CommandRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    /// <summary>Every file name in the folder, sorted (temporaries included).</summary>
    public string[] Listing() => Directory.GetFiles(Dir).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
}
