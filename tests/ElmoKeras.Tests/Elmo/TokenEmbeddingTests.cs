using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.Elmo;

/// <summary>The context-independent layer against bilm-tf's <c>dump_token_embeddings</c> output.</summary>
public class TokenEmbeddingTests
{
    [Fact]
    public void TokenLayerMatchesBilmTfTokenEmbeddings()
    {
        string[] vocabulary = File.ReadAllLines(Path.Combine(Fixtures.ElmoDir, "vocab_test.txt")).Where(l => l.Length > 0).ToArray();
        using var reference = Hdf5WeightSource.Open(Path.Combine(Fixtures.ElmoDir, "elmo_token_embeddings.hdf5"));
        WeightArray expected = reference.Read("embedding");
        Assert.Equal(vocabulary.Length, (int)expected.Shape[0]);

        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        int p = elmo.Options.Lstm.ProjectionDim;
        using ElmoEmbeddings output = elmo.Embed(vocabulary.Select(w => (IReadOnlyList<string>)[w]).ToArray());
        float worst = 0;
        for (int i = 0; i < vocabulary.Length; i++)
        {
            float[,,] sentence = output.GetSentence(i);
            for (int j = 0; j < p; j++)
            {
                worst = Math.Max(worst, Math.Abs(sentence[0, 0, j] - expected.Data[i * p + j]));
                // Layer 0 repeats the token embedding in both halves.
                Assert.Equal(sentence[0, 0, j], sentence[0, 0, j + p]);
            }
        }
        Assert.True(worst < 1e-5f, $"max |diff| {worst:E2}");
    }
}
