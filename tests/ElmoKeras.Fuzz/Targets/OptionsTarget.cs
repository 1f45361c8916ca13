using System.Text;
using System.Text.Json.Nodes;
using ElmoKeras.Elmo;
using ElmoKeras.Weights;

namespace ElmoKeras.Fuzz.Targets;

/// <summary><c>options.json</c>, mutated as JSON (values set to extremes, keys dropped, renamed or repeated) and as bytes.</summary>
internal sealed class OptionsTarget : FuzzTarget
{
    private static readonly Func<JsonNode?>[] Values =
    [
        () => 0, () => -1, () => 1, () => 2, () => 3, () => 1.5, () => int.MaxValue, () => 536870912, () => 100000000, () => 100000,
        () => 1e39, () => -1e39, () => "x", () => null, () => true, () => new JsonArray(), () => new JsonObject(), () => new JsonArray("1", 4),
    ];

    private string original = "";
    private float[] reference = [];

    public override string Name => "options";
    public override string Description => "`options.json` → `ElmoModel.Load` + `Embed`";
    public override IReadOnlyList<Type> Documented => [typeof(WeightFormatException), typeof(ElmoOptionsException), typeof(ArithmeticException)];

    public override void Prepare(string workDirectory)
    {
        original = File.ReadAllText(ElmoFixture.Options);
        using ElmoModel elmo = ElmoModel.Load(ElmoFixture.Options, ElmoFixture.Weights);
        reference = ElmoFixture.Embed(elmo);
    }

    private static List<(JsonNode Parent, object Key)> Slots(JsonNode node)
    {
        var slots = new List<(JsonNode, object)>();
        if (node is JsonObject obj)
            foreach (var (key, value) in obj.ToList()) { slots.Add((obj, key)); if (value is not null) slots.AddRange(Slots(value)); }
        else if (node is JsonArray array)
            for (int i = 0; i < array.Count; i++) { slots.Add((array, i)); if (array[i] is { } item) slots.AddRange(Slots(item)); }
        return slots;
    }

    private string Mutate(Random random)
    {
        int kind = random.Next(10);
        if (kind >= 8) return Encoding.UTF8.GetString(Mutator.Mutate(Encoding.UTF8.GetBytes(original), random));
        if (kind == 7) return random.Next(2) == 0 ? "[]" : original.Replace("\"n_layers\": 2", "\"n_layers\": 2, \"n_layers\": 1");
        JsonNode root = JsonNode.Parse(original)!;
        var (parent, key) = Slots(root)[random.Next(Slots(root).Count)];
        switch (kind)
        {
            case <= 4: // a value replaced by an extreme or a wrong type
                if (parent is JsonObject o) o[(string)key] = Values[random.Next(Values.Length)]();
                else ((JsonArray)parent)[(int)key] = Values[random.Next(Values.Length)]();
                break;
            case 5: // a key or element dropped
                if (parent is JsonObject od) od.Remove((string)key); else ((JsonArray)parent).RemoveAt((int)key);
                break;
            default: // a key renamed by one letter
                if (parent is JsonObject or && ((string)key).Length > 0)
                {
                    JsonNode? value = or[(string)key];
                    or.Remove((string)key);
                    char[] name = ((string)key).ToCharArray();
                    name[random.Next(name.Length)] = (char)('a' + random.Next(26));
                    or[new string(name)] = value;
                }
                break;
        }
        return root.ToJsonString();
    }

    public override CaseResult Run(Random random, string caseDirectory)
    {
        string mutated = Mutate(random);
        if (mutated == original || JsonEquals(mutated)) return new(Outcome.Unmutated);
        string path = Path.Combine(caseDirectory, "options.json");
        File.WriteAllText(path, mutated);
        using ElmoModel elmo = ElmoModel.Load(path, ElmoFixture.Weights);
        CaseResult result = Compare(reference, ElmoFixture.Embed(elmo), "embeddings");
        if (result.Outcome == Outcome.Same && elmo.Options != ElmoOptions.Load(ElmoFixture.Options))
            return new(Outcome.Changed, "settings changed without changing these embeddings");
        return result;
    }

    private bool JsonEquals(string mutated)
    {
        try
        {
            return JsonNode.DeepEquals(JsonNode.Parse(mutated), JsonNode.Parse(original));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return false; // not JSON, or not a tree JsonNode accepts (repeated keys): certainly mutated
        }
    }
}
