using System.Globalization;
using System.Text;

namespace ElmoKeras;

public sealed partial class Model
{
    /// <summary>Writes the Keras summary table to <paramref name="writer"/> (default <see cref="Output"/>).</summary>
    public void Summary(TextWriter? writer = null) => (writer ?? Output).Write(SummaryText());

    /// <summary>
    /// The Keras summary: one row per layer with its output shape and parameter count, then total,
    /// trainable and non-trainable parameters.
    /// </summary>
    public string SummaryText()
    {
        var rows = new List<(string Layer, string Shape, string Params)>();
        foreach (KerasTensor input in Inputs) rows.Add(($"{input.Name} (InputLayer)", input.ShapeText, "0"));
        foreach (Node node in nodes) rows.Add(($"{node.Layer.Name} ({node.Layer.GetType().Name})", node.Output.ShapeText, Count(node.Layer.CountParams())));
        int c1 = Math.Max(28, rows.Max(r => r.Layer.Length) + 2), c2 = Math.Max(26, rows.Max(r => r.Shape.Length) + 2), c3 = 12;
        int width = c1 + c2 + c3 + 1;
        var text = new StringBuilder();
        text.AppendLine($"Model: \"{Name}\"");
        text.AppendLine(new string('_', width));
        text.AppendLine(" " + "Layer (type)".PadRight(c1) + "Output Shape".PadRight(c2) + "Param #".PadLeft(c3));
        text.AppendLine(new string('=', width));
        for (int i = 0; i < rows.Count; i++)
        {
            text.AppendLine(" " + rows[i].Layer.PadRight(c1) + rows[i].Shape.PadRight(c2) + rows[i].Params.PadLeft(c3));
            text.AppendLine(i == rows.Count - 1 ? new string('=', width) : "");
        }
        long trainable = TrainableWeights.Sum(w => w.Parameter.numel()), total = CountParams();
        text.AppendLine($"Total params: {Count(total)} ({Size(total)})");
        text.AppendLine($"Trainable params: {Count(trainable)} ({Size(trainable)})");
        text.AppendLine($"Non-trainable params: {Count(total - trainable)} ({Size(total - trainable)})");
        text.AppendLine(new string('_', width));
        return text.ToString();
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Size(long parameters)
    {
        double bytes = parameters * 4.0;
        return bytes >= 1 << 30 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 30):F2} GB")
            : bytes >= 1 << 20 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 20):F2} MB")
            : bytes >= 1 << 10 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 10):F2} KB")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:F2} B");
    }
}
