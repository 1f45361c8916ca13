namespace ElmoKeras.Weights;

/// <summary>
/// Refuses arrays holding NaN or infinity. A corrupt byte in a float is the commonest way a damaged
/// weight file loads "successfully", and one non-finite weight turns every output into NaN.
/// </summary>
internal static class FiniteValues
{
    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or -1.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Throws when <paramref name="array"/> holds a NaN or infinity, naming the file, dataset and index.</summary>
    /// <exception cref="WeightFormatException">A value is not finite.</exception>
    public static void Require(WeightArray array, string file)
    {
        int index = FirstNonFinite(array.Data);
        if (index < 0) return;
        throw new WeightFormatException(
            $"'{file}' dataset '{array.Name}' holds {Describe(array.Data[index])} at flat index {index} (position {FormatIndex(index, array.Shape)} of shape {array.ShapeText}); " +
            "weights must be finite numbers. The file is corrupt or was saved from a diverged model.") { FilePath = file };
    }

    private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity";

    private static string FormatIndex(long flat, long[] shape)
    {
        if (shape.Length == 0) return "[]";
        var position = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            long size = Math.Max(shape[d], 1);
            position[d] = flat % size;
            flat /= size;
        }
        return WeightArray.FormatShape(position);
    }
}
