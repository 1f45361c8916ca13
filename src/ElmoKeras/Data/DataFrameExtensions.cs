using Microsoft.Data.Analysis;

namespace ElmoKeras.Data;

/// <summary>Turns data frame columns into the plain arrays that <c>Model.Fit</c> takes.</summary>
public static class DataFrameExtensions
{
    /// <summary>The values of a numeric or Boolean column as <see cref="float"/>s, for example labels for a sigmoid output.</summary>
    /// <param name="frame">The data frame.</param>
    /// <param name="columnName">The column to read, such as <c>polarity</c>.</param>
    /// <exception cref="ArgumentException">The column is missing, not numeric, or has a missing value.</exception>
    public static float[] ToSingleArray(this DataFrame frame, string columnName)
    {
        DataFrameColumn column = GetColumn(frame, columnName);
        if (!IsNumeric(column.DataType))
            throw WrongType(column, "a numeric or Boolean column");
        var values = new float[column.Length];
        for (long row = 0; row < column.Length; row++)
            values[row] = Convert.ToSingle(ValueAt(column, row), System.Globalization.CultureInfo.InvariantCulture);
        return values;
    }

    /// <summary>The values of an integer or Boolean column as <see cref="int"/>s, for example class indices.</summary>
    /// <param name="frame">The data frame.</param>
    /// <param name="columnName">The column to read, such as <c>sentiment</c>.</param>
    /// <exception cref="ArgumentException">The column is missing, not integer, or has a missing value or one outside the <see cref="int"/> range.</exception>
    public static int[] ToInt32Array(this DataFrame frame, string columnName)
    {
        DataFrameColumn column = GetColumn(frame, columnName);
        Type type = column.DataType;
        if (!IsNumeric(type) || type == typeof(float) || type == typeof(double) || type == typeof(decimal))
            throw WrongType(column, "an integer or Boolean column");
        var values = new int[column.Length];
        for (long row = 0; row < column.Length; row++)
        {
            object value = ValueAt(column, row);
            try
            {
                values[row] = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (OverflowException ex)
            {
                throw new ArgumentException($"Column '{column.Name}' has {value} at row {row}, outside the range of Int32.", nameof(frame), ex);
            }
        }
        return values;
    }

    /// <summary>The values of a string column, for example the <c>sentence</c> texts.</summary>
    /// <param name="frame">The data frame.</param>
    /// <param name="columnName">The column to read.</param>
    /// <exception cref="ArgumentException">The column is missing, not a string column, or has a missing value.</exception>
    public static string[] ToStringArray(this DataFrame frame, string columnName)
    {
        DataFrameColumn column = GetColumn(frame, columnName);
        if (column.DataType != typeof(string))
            throw WrongType(column, "a string column");
        var values = new string[column.Length];
        for (long row = 0; row < column.Length; row++)
            values[row] = (string)ValueAt(column, row);
        return values;
    }

    private static DataFrameColumn GetColumn(DataFrame frame, string columnName)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentException.ThrowIfNullOrEmpty(columnName);
        int index = frame.Columns.IndexOf(columnName);
        if (index < 0)
        {
            string available = string.Join(", ", frame.Columns.Select(c => $"'{c.Name}'"));
            throw new ArgumentException($"The data frame has no column '{columnName}'; it has {(available.Length == 0 ? "none" : available)}.", nameof(columnName));
        }
        return frame.Columns[index];
    }

    private static object ValueAt(DataFrameColumn column, long row) =>
        column[row] ?? throw new ArgumentException($"Column '{column.Name}' has a missing value at row {row}.", "frame");

    private static bool IsNumeric(Type type) =>
        type == typeof(bool) || type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort) ||
        type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong) ||
        type == typeof(float) || type == typeof(double) || type == typeof(decimal);

    private static ArgumentException WrongType(DataFrameColumn column, string expected) =>
        new($"Column '{column.Name}' holds {column.DataType.Name} values; expected {expected}.", "columnName");
}
