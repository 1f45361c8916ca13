using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using ElmoKeras.Weights;

namespace ElmoKeras.Tests.Elmo;

/// <summary>
/// Reproduces bilm-tf's own TensorFlow outputs for AllenNLP's fixture (lm_embeddings_k.hdf5): batch
/// i holds sentences[0][i], sentences[1][i], sentences[2][i], run in order with states carried.
/// </summary>
public class ReferenceOutputTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void StatefulModelReproducesBilmTfTopLayer()
    {
        string[][] sentences = Fixtures.ReadSentences();
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { Stateful = true });
        var references = Enumerable.Range(0, 3).Select(k => Hdf5WeightSource.Open(Fixtures.ElmoReference(k))).ToArray();
        try
        {
            float worst = 0;
            int compared = 0;
            for (int i = 0; i < 10; i++)
            {
                var batch = Enumerable.Range(0, 3).Select(k => (IReadOnlyList<string>)sentences[k][i].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
                using ElmoEmbeddings embeddings = elmo.Embed(batch);
                for (int k = 0; k < 3; k++)
                {
                    WeightArray expected = references[k].Read(i.ToString());
                    int tokens = batch[k].Count;
                    int p = elmo.Options.Lstm.ProjectionDim;
                    Assert.Equal(new long[] { 2, tokens, p }, expected.Shape);
                    float[,,] actual = embeddings.GetSentence(k);
                    int top = actual.GetLength(0) - 1;
                    for (int t = 0; t < tokens; t++)
                    {
                        for (int j = 0; j < 2 * p; j++)
                        {
                            // Reference [direction, token, P]; ours [layer, token, 2P] = forward ‖ backward.
                            float reference = expected.Data[((j / p) * tokens + t) * p + j % p];
                            float diff = Math.Abs(actual[top, t, j] - reference);
                            worst = Math.Max(worst, diff);
                            compared++;
                        }
                    }
                }
            }
            output.WriteLine($"max |diff| against bilm-tf over {compared} values: {worst:E2}");
            Assert.True(worst <= Tolerance, $"max |diff| {worst:E2} exceeds {Tolerance:E0}");
        }
        finally
        {
            foreach (var reference in references) reference.Dispose();
        }
    }
}
