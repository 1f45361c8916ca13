using ElmoKeras.Elmo;

namespace ElmoKeras.Tests.Elmo;

public class LengthBucketsTests
{
    private static readonly int[] Lengths = [5, 150, 3, 40, 40, 7, 120, 1, 0, 60, 33, 150, 9];

    [Fact]
    public void TokenBudgetBatchesCoverEverySentenceOnceAndStayWithinTheBudget()
    {
        int[][] batches = LengthBuckets.ByTokenBudget(Lengths, maxBatchTokens: 160).ToArray();
        Assert.Equal(Enumerable.Range(0, Lengths.Length), batches.SelectMany(b => b).Order());
        foreach (int[] batch in batches)
        {
            long cost = (long)batch.Length * Math.Max(1, batch.Max(i => Lengths[i]));
            Assert.True(cost <= 160 || batch.Length == 1, $"batch [{string.Join(", ", batch)}] costs {cost}");
        }
        // Shortest first, and short sentences share batches while the 150-token ones go alone.
        int[] maxima = batches.Select(b => b.Max(i => Lengths[i])).ToArray();
        Assert.Equal(maxima.Order(), maxima);
        Assert.True(batches[0].Length >= 5);
        Assert.Equal(1, batches[^1].Length);
    }

    [Fact]
    public void TokenBudgetRespectsTheBatchSizeCapAndALongSentenceGetsItsOwnBatch()
    {
        int[][] capped = LengthBuckets.ByTokenBudget(Lengths, maxBatchTokens: 10_000, maxBatchSize: 4).ToArray();
        Assert.All(capped, b => Assert.True(b.Length <= 4));
        Assert.Equal(4, capped.Length);
        int[][] tiny = LengthBuckets.ByTokenBudget([500, 2], maxBatchTokens: 100).ToArray();
        Assert.Equal([[1], [0]], tiny);
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthBuckets.ByTokenBudget(Lengths, 0).ToArray());
    }
}
