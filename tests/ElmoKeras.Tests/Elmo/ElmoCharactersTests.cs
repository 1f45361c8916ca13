using ElmoKeras.Elmo;

namespace ElmoKeras.Tests.Elmo;

public class ElmoCharactersTests
{
    private static long[] Expected(params long[] head)
    {
        var ids = Enumerable.Repeat(261L, 50).ToArray();
        head.CopyTo(ids, 0);
        return ids;
    }

    [Fact]
    public void AsciiTokenIsWrappedInWordMarksAndShiftedByOne() =>
        Assert.Equal(Expected(259, 'a' + 1, 260), ElmoCharacters.Encode("a"));

    [Fact]
    public void SentenceBoundaryLiteralsMapToBoundaryIds()
    {
        Assert.Equal(Expected(259, 257, 260), ElmoCharacters.Encode("<S>"));
        Assert.Equal(Expected(259, 258, 260), ElmoCharacters.Encode("</S>"));
    }

    [Fact]
    public void EmptyTokenIsARealTokenNotPadding() =>
        Assert.Equal(Expected(259, 260), ElmoCharacters.Encode(""));

    [Fact]
    public void MultiByteCharactersUseTheirUtf8Bytes() =>
        // é = C3 A9, € = E2 82 AC
        Assert.Equal(Expected(259, 0xC3 + 1, 0xA9 + 1, 0xE2 + 1, 0x82 + 1, 0xAC + 1, 260), ElmoCharacters.Encode("é€"));

    [Fact]
    public void LongTokensAreCutAt48BytesEvenInsideACharacter()
    {
        long[] ids = ElmoCharacters.Encode(new string('é', 30)); // 60 bytes
        Assert.Equal(259, ids[0]);
        for (int i = 0; i < 48; i++) Assert.Equal(i % 2 == 0 ? 0xC3 + 1 : 0xA9 + 1, ids[i + 1]);
        Assert.Equal(260, ids[49]);
    }

    [Fact]
    public void LoneSurrogatesAreDroppedAsPythonIgnoreDoes() =>
        Assert.Equal(ElmoCharacters.Encode("ab"), ElmoCharacters.Encode("a\uD800b"));
}
