using ElmoKeras.Callbacks;

namespace ElmoCli.Sentiment;

/// <summary>
/// Draws a History's loss and accuracy curves (training and validation) as one PNG: binary
/// cross-entropy and accuracy share the [0, 1]-ish range, so one axis reads well.
/// </summary>
internal static class TrainingPlot
{
    public static void Save(History history, string path)
    {
        var plot = new ScottPlot.Plot();
        double[] epochs = history.Epochs.Select(e => (double)(e + 1)).ToArray();
        foreach (string name in new[] { "loss", "val_loss", "accuracy", "val_accuracy" })
        {
            if (!history.Values.TryGetValue(name, out List<double>? values) || values.Count == 0) continue;
            var line = plot.Add.Scatter(epochs, values.ToArray());
            line.LegendText = name;
            if (name.StartsWith("val_", StringComparison.Ordinal)) line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.Title("ELMo sentiment: loss and accuracy per epoch");
        plot.XLabel("epoch");
        plot.ShowLegend();
        // Written aside and renamed, so a crash never leaves a half-written image.
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.png");
        plot.SavePng(temp, 900, 500);
        File.Move(temp, path, overwrite: true);
    }
}
