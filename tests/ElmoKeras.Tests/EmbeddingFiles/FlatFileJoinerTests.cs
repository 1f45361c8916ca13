using ElmoKeras.EmbeddingFiles;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.EmbeddingFiles;

public class FlatFileJoinerTests
{
    private const int Layers = 3, Width = 8;

    [Theory]
    [InlineData(1L)]          // one sentence per read, however small the limit
    [InlineData(1000L)]       // reads that end mid-block of 1,024 sentences
    [InlineData(4L << 20)]    // the default: a whole block per read
    public void JoinedFileHoldsEverySentenceOfEveryPartInOrder(long blockBytes)
    {
        using var folder = new TempFolder();
        var random = new Random(7);
        // Two parts, the first longer than one block of 1,024 sentences, of 1 to 8 tokens.
        int[][] lengths = [[.. Enumerable.Range(0, 1500).Select(_ => random.Next(1, 9))], [.. Enumerable.Range(0, 40).Select(_ => random.Next(1, 9))]];
        var expected = new List<float[]>();
        var parts = new List<FlatEmbeddingFile>();
        try
        {
            long firstLine = 0;
            for (int p = 0; p < lengths.Length; p++)
            {
                string path = Path.Combine(folder.Path, $"part-{p}.h5");
                using (var writer = new FlatEmbeddingWriter(path, Metadata(firstLine, lengths[p]), Layers, Width))
                {
                    foreach (int tokens in lengths[p])
                    {
                        float[] values = [.. Enumerable.Range(0, tokens * Layers * Width).Select(_ => (float)random.NextDouble())];
                        expected.Add(values);
                        writer.Append(values);
                    }
                    writer.Complete();
                }
                parts.Add((FlatEmbeddingFile)EmbeddingFile.OpenSingle(path));
                firstLine += lengths[p].Length;
            }

            string joined = Path.Combine(folder.Path, "joined.h5");
            FlatFileJoiner.Join(parts, Metadata(0, [.. lengths.SelectMany(l => l)]), joined, blockBytes, TestContext.Current.CancellationToken);

            using EmbeddingFile result = EmbeddingFile.OpenSingle(joined);
            Assert.Equal(expected.Count, result.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                SentenceVectors vectors = result.Read(i);
                // Stored token-major, read back layer-major; compare as a set of per-token rows.
                float[] tokenMajor = new float[vectors.Values.Length];
                int tokens = expected[i].Length / (Layers * Width);
                for (int l = 0; l < Layers; l++)
                    for (int t = 0; t < tokens; t++)
                        Array.Copy(vectors.Values, (l * tokens + t) * Width, tokenMajor, (t * Layers + l) * Width, Width);
                Assert.Equal(expected[i], tokenMajor);
            }
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    private static EmbeddingMetadata Metadata(long firstLine, int[] lengths) =>
        new("all", "float32", false, "{}", "weights", "input", 1540, firstLine, lengths.Length, lengths.Sum(), 0, 1, "test");
}
