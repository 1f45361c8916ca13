using ElmoKeras.Data;
using Microsoft.Data.Analysis;

namespace ElmoKeras.Tests.Data;

public sealed class DataFrameExtensionsTests
{
    private static DataFrame Frame() => new(
        new Int32DataFrameColumn("polarity", [1, 0, 1]),
        new DoubleDataFrameColumn("score", [0.5, 1.0, 2.0]),
        new BooleanDataFrameColumn("flag", [true, false, true]),
        new StringDataFrameColumn("sentence", ["a", "b", "c"]));

    [Fact]
    public void ConvertsColumnsToArrays()
    {
        DataFrame frame = Frame();
        Assert.Equal([1f, 0f, 1f], frame.ToSingleArray("polarity"));
        Assert.Equal([0.5f, 1f, 2f], frame.ToSingleArray("score"));
        Assert.Equal([1f, 0f, 1f], frame.ToSingleArray("flag"));
        Assert.Equal([1, 0, 1], frame.ToInt32Array("polarity"));
        Assert.Equal([1, 0, 1], frame.ToInt32Array("flag"));
        Assert.Equal(["a", "b", "c"], frame.ToStringArray("sentence"));
    }

    [Fact]
    public void MissingColumnNamesTheAvailableOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => Frame().ToSingleArray("label"));
        Assert.Equal("columnName", error.ParamName);
        Assert.Contains("no column 'label'", error.Message);
        Assert.Contains("'polarity', 'score', 'flag', 'sentence'", error.Message);
    }

    [Fact]
    public void WrongTypeOrMissingValueIsAnArgumentError()
    {
        Assert.Contains("expected a numeric", Assert.Throws<ArgumentException>(() => Frame().ToSingleArray("sentence")).Message);
        Assert.Contains("expected an integer", Assert.Throws<ArgumentException>(() => Frame().ToInt32Array("score")).Message);
        Assert.Contains("expected a string", Assert.Throws<ArgumentException>(() => Frame().ToStringArray("polarity")).Message);

        var withGap = new DataFrame(new Int32DataFrameColumn("polarity", [1, null, 0]));
        Assert.Contains("missing value at row 1", Assert.Throws<ArgumentException>(() => withGap.ToSingleArray("polarity")).Message);
        var tooLarge = new DataFrame(new Int64DataFrameColumn("id", [1L, long.MaxValue]));
        Assert.Contains("outside the range of Int32", Assert.Throws<ArgumentException>(() => tooLarge.ToInt32Array("id")).Message);
    }
}
