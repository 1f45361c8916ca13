using System.CommandLine;
using System.Text;
using ElmoCli.Embed;
using ElmoKeras.Weights;
using PureHDF;
using PureHDF.VOL.Native;
using ElmoKeras.Elmo;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>Input text for <c>elmo embed</c>: invalid UTF-8, NUL bytes, empty and huge lines, slashes under --use-sentence-keys.</summary>
internal sealed class EmbedInputTarget : FuzzTarget
{
    private byte[] original = [];

    public override string Name => "embed-input";
    public override string Description => "`elmo embed` input text → output HDF5 checked finite";
    public override IReadOnlyList<Type> Documented => [typeof(FormatException), typeof(WeightFormatException), typeof(ElmoOptionsException), typeof(ArithmeticException)];

    public override void Prepare(string workDirectory) =>
        original = Encoding.UTF8.GetBytes(string.Join('\n', ElmoFixture.Sentences.Select(s => string.Join(' ', s))) + "\nA third line , with commas .\n");

    private byte[] Mutate(Random random)
    {
        byte[][] inserts =
        [
            [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x00], [(byte)'\n', (byte)'\n'], [(byte)'\r'], [0xEF, 0xBB, 0xBF], [0xFE, 0xFF], [(byte)'/'],
            Encoding.UTF8.GetBytes(new string('x', 100_000)), Encoding.UTF8.GetBytes(string.Join(' ', Enumerable.Repeat("w", 500))),
            Encoding.UTF8.GetBytes("sentence_to_index"), Encoding.UTF8.GetBytes("\n.\n"), Encoding.UTF8.GetBytes("\t \u00a0 \u2028"),
        ];
        if (random.Next(3) == 0) return Mutator.Mutate(original, random);
        byte[] insert = inserts[random.Next(inserts.Length)];
        int at = random.Next(original.Length + 1);
        return [.. original.AsSpan(0, at), .. insert, .. original.AsSpan(at)];
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        byte[] mutated = Mutate(random);
        bool keys = random.Next(2) == 0;
        if (mutated.AsSpan().SequenceEqual(original)) return new(Outcome.Unmutated);
        string input = Path.Combine(caseDirectory, "input.txt"), output = Path.Combine(caseDirectory, "out.hdf5");
        File.WriteAllBytes(input, mutated);
        var root = new RootCommand();
        root.Subcommands.Add(EmbedCommand.Create());
        string[] args = ["embed", input, output, "--all", "--options-file", ElmoFixture.Options, "--weight-file", ElmoFixture.Weights, .. keys ? new[] { "--use-sentence-keys" } : []];
        // Exceptions propagate with their types (the CLI's runner would turn them into one line).
        int code = root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = TextWriter.Null, Output = TextWriter.Null }).GetAwaiter().GetResult();
        if (code != 0) return new(Outcome.Untyped, $"exit code {code} without an exception");
        using NativeFile file = H5File.OpenRead(output);
        foreach (IH5Object child in file.Children())
            if (child is IH5Dataset dataset && child.Name != "sentence_to_index" && dataset.Read<float[]>().Any(v => !float.IsFinite(v)))
                return new(Outcome.NonFinite, $"dataset '{child.Name}'");
        return new(Outcome.Same);
    }
}
