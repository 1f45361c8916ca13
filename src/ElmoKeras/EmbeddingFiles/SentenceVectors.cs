namespace ElmoKeras.EmbeddingFiles;

/// <summary>
/// One sentence's vectors, row-major: <c>[layers, tokens, width]</c> for files written with
/// <c>--all</c>, <c>[tokens, width]</c> for <c>--top</c>/<c>--average</c>, whatever the file's layout.
/// </summary>
/// <param name="Shape">The dimensions of <paramref name="Values"/>.</param>
/// <param name="Values">The numbers, row-major.</param>
public sealed record SentenceVectors(int[] Shape, float[] Values)
{
    /// <summary>Number of tokens in the sentence.</summary>
    public int Tokens => Shape.Length == 3 ? Shape[1] : Shape[0];
}
