using ElmoKeras.Data;
using Microsoft.Data.Analysis;

namespace ElmoKeras.Tests.Data;

public sealed class TextTests
{
    // Expected values are what Python 3 gives for ' '.join(text.split()[:count]).
    [Theory]
    [InlineData("a b c d", 2, "a b")]
    [InlineData("  a\t\tb\n\nc  ", 10, "a b c")]
    [InlineData("a\u00A0b\u2003c\u3000d", 3, "a b c")]    // no-break, em and ideographic spaces
    [InlineData("a\u001Cb\u001Fc\u0085d", 4, "a b c d")] // ASCII separators and NEL split in Python too
    [InlineData("a\u200Bb", 5, "a\u200Bb")]             // zero-width space is not whitespace in Python
    [InlineData("word", 0, "")]
    [InlineData("", 3, "")]
    [InlineData(" \r\n ", 3, "")]
    public void FirstWordsMatchesPythonSplitAndJoin(string text, int count, string expected) =>
        Assert.Equal(expected, Text.FirstWords(text, count));

    [Fact]
    public void FirstWordsWorksOnListsAndDataFrames()
    {
        Assert.Equal(["a b", "c"], Text.FirstWords(["a b c", " c "], 2));
        var frame = new DataFrame(new StringDataFrameColumn("sentence", ["one two three", "four"]), new StringDataFrameColumn("other", ["x y", "z"]));
        Assert.Equal(["one two", "four"], Text.FirstWords(frame, 2));
        Assert.Equal(["x", "z"], Text.FirstWords(frame, 1, "other"));
    }

    [Fact]
    public void FirstWordsRejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Text.FirstWords("a", -1));
        Assert.Throws<ArgumentNullException>(() => Text.FirstWords((string)null!, 1));
        var nullItem = Assert.Throws<ArgumentException>(() => Text.FirstWords(["a", null!], 1));
        Assert.Contains("Text 1 is null", nullItem.Message);
    }

    [Theory]
    [InlineData("a<br />b", "a b")]
    [InlineData("a<br/>b<BR>c< br / >d", "a b c d")]
    [InlineData("keep <b>bold</b> and <brand>", "keep <b>bold</b> and <brand>")]
    [InlineData("no tags", "no tags")]
    public void RemoveLineBreakTagsReplacesOnlyLineBreaks(string text, string expected) =>
        Assert.Equal(expected, Text.RemoveLineBreakTags(text));

    [Fact]
    public void RemovingTagsBeforeCuttingKeepsTagsFromCountingAsWords()
    {
        const string review = "Great film.<br /><br />Really great.";
        Assert.Equal("Great film.<br", Text.FirstWords(review, 2)[..14]);
        Assert.Equal("Great film. Really", Text.FirstWords(Text.RemoveLineBreakTags(review), 3));
    }
}
