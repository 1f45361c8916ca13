using System.Text;
using ElmoKeras.Data;
using Microsoft.Data.Analysis;

namespace ElmoKeras.Fuzz.Targets;

/// <summary>IMDB split folders with odd names, empty, binary, non-UTF-8 and misplaced files through <see cref="Imdb.LoadDataset(string, ImdbOptions?)"/>.</summary>
internal sealed class ImdbFolderTarget : FuzzTarget
{
    private static readonly string[] OddNames = ["abc.txt", "5_.txt", "_7.txt", "3_11.txt", "1_-3.txt", "99999999999_5.txt", "x_5.txt", ".txt", "4_5.TXT", "4_5.txt.bak", "0_0.txt", "7_10.txt", "2_3.txt"];

    public override string Name => "imdb-folder";
    public override string Description => "IMDB split folder → `Imdb.LoadDataset`";
    public override IReadOnlyList<Type> Documented => [typeof(DatasetFormatException)];

    public override void Prepare(string workDirectory) { }

    private static void WriteSplit(string split)
    {
        for (int i = 0; i < 4; i++)
        {
            Directory.CreateDirectory(Path.Combine(split, "pos"));
            Directory.CreateDirectory(Path.Combine(split, "neg"));
            File.WriteAllText(Path.Combine(split, "pos", $"{i}_{7 + i % 4}.txt"), $"A fine film number {i}.<br /><br />Really.");
            File.WriteAllText(Path.Combine(split, "neg", $"{i}_{1 + i % 4}.txt"), $"A poor film number {i}.");
        }
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        string split = Path.Combine(caseDirectory, "train");
        WriteSplit(split);
        string folder = Path.Combine(split, random.Next(2) == 0 ? "pos" : "neg");
        string victim = Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal).ElementAt(random.Next(4));
        switch (random.Next(7))
        {
            case 0: File.Move(victim, Path.Combine(folder, OddNames[random.Next(OddNames.Length)]), overwrite: true); break;
            case 1: File.WriteAllBytes(victim, []); break;
            case 2:
            {
                var bytes = new byte[random.Next(1, 4096)];
                random.NextBytes(bytes);
                File.WriteAllBytes(victim, bytes);
                break;
            }
            case 3: File.WriteAllBytes(victim, [.. Encoding.UTF8.GetBytes("ok "), 0xC3, 0x28, .. Encoding.UTF8.GetBytes(" end")]); break;
            case 4: Directory.CreateDirectory(Path.Combine(folder, "9_9.txt")); break;
            case 5: File.WriteAllBytes(victim, Mutator.Mutate(File.ReadAllBytes(victim), random)); break;
            default: File.WriteAllText(victim, new string(' ', random.Next(1, 100)) + "\n\t"); break;
        }
        var options = new ImdbOptions { Seed = 1, MalformedFiles = random.Next(2) == 0 ? MalformedFileHandling.Throw : MalformedFileHandling.Skip };
        DataFrame frame = Imdb.LoadDataset(split, options);
        return frame.Rows.Count == 8 ? new(Outcome.Same) : new(Outcome.Changed, $"{frame.Rows.Count} reviews instead of 8 (odd files skipped)");
    }
}
