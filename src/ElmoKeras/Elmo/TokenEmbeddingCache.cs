using static TorchSharp.torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// A bounded, least-recently-used store of context-independent token vectors (the output of the
/// character CNN, highway layers and projection), keyed by the token's string. With the bi-LM
/// frozen that output never changes for a given string, so a token seen in an earlier batch need
/// not go through the CNN again: the prior art is AllenNLP's <c>vocab_to_cache</c> and bilm-tf's
/// <c>dump_token_embeddings</c>, which need a fixed vocabulary; this one learns it as text arrives.
/// </summary>
/// <remarks>
/// Rows live in one tensor on the model's device that grows by doubling up to the capacity, so a
/// small vocabulary never pays for the full capacity. Only used without gradients: the owner clears
/// it whenever the weights may have changed.
/// </remarks>
internal sealed class TokenEmbeddingCache : IDisposable
{
    private readonly int capacity;
    private readonly Dictionary<string, LinkedListNode<Entry>> index = new(StringComparer.Ordinal);
    // Most recently used first; the last node is the one to evict.
    private readonly LinkedList<Entry> recency = new();
    private readonly Stack<int> freeSlots = new();
    private Tensor? store;
    private int allocatedRows;
    private long hits, misses, evictions;

    public TokenEmbeddingCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        this.capacity = capacity;
    }

    public int Capacity => capacity;

    public TokenCacheStatistics Statistics => new(capacity, index.Count, hits, misses, evictions);

    /// <summary>
    /// The vectors [tokens.Count, width] of <paramref name="tokens"/> (distinct strings), taking those
    /// already stored from the store and computing the others with <paramref name="encode"/>, which
    /// receives the positions (into <paramref name="tokens"/>) to compute and returns their vectors.
    /// </summary>
    public Tensor Lookup(IReadOnlyList<string> tokens, Func<long[], Tensor> encode)
    {
        var hitPositions = new List<long>();
        var hitSlots = new List<long>();
        var missPositions = new List<long>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (index.TryGetValue(tokens[i], out LinkedListNode<Entry>? node))
            {
                hitPositions.Add(i);
                hitSlots.Add(node.Value.Slot);
                recency.Remove(node);
                recency.AddFirst(node);
            }
            else missPositions.Add(i);
        }
        hits += hitPositions.Count;
        misses += missPositions.Count;

        Tensor? fresh = missPositions.Count > 0 ? encode(missPositions.ToArray()) : null;
        Tensor result;
        if (hitPositions.Count == 0) result = fresh!;
        else
        {
            Device device = store!.device;
            using Tensor slots = tensor(hitSlots.ToArray(), device: device);
            using Tensor stored = store.index_select(0, slots);
            if (fresh is null) result = stored.clone();
            else
            {
                result = empty(tokens.Count, fresh.shape[1], dtype: fresh.dtype, device: device);
                using Tensor hitIndex = tensor(hitPositions.ToArray(), device: device);
                using Tensor missIndex = tensor(missPositions.ToArray(), device: device);
                result.index_copy_(0, hitIndex, stored);
                result.index_copy_(0, missIndex, fresh);
            }
        }
        if (fresh is not null) Insert(tokens, missPositions, fresh);
        return result;
    }

    /// <summary>Forgets every stored vector (the weights changed or may change).</summary>
    public void Clear()
    {
        index.Clear();
        recency.Clear();
        freeSlots.Clear();
        for (int slot = allocatedRows - 1; slot >= 0; slot--) freeSlots.Push(slot);
    }

    private void Insert(IReadOnlyList<string> tokens, List<long> positions, Tensor vectors)
    {
        // A batch with more new tokens than the capacity keeps only the first ones: the rest would
        // evict each other within the batch.
        int count = Math.Min(positions.Count, capacity);
        var slots = new long[count];
        for (int j = 0; j < count; j++)
        {
            int slot = TakeSlot(vectors);
            string token = tokens[(int)positions[j]];
            index[token] = recency.AddFirst(new Entry(token, slot));
            slots[j] = slot;
        }
        using Tensor slotIndex = tensor(slots, device: store!.device);
        using Tensor rows = count == positions.Count ? vectors.alias() : vectors.narrow(0, 0, count);
        store.index_copy_(0, slotIndex, rows);
    }

    private int TakeSlot(Tensor like)
    {
        if (freeSlots.Count == 0 && allocatedRows < capacity) Grow(like);
        if (freeSlots.Count > 0) return freeSlots.Pop();
        LinkedListNode<Entry> oldest = recency.Last!;
        recency.RemoveLast();
        index.Remove(oldest.Value.Token);
        evictions++;
        return oldest.Value.Slot;
    }

    private void Grow(Tensor like)
    {
        int rows = Math.Min(capacity, Math.Max(1024, allocatedRows * 2));
        Tensor grown = zeros(rows, like.shape[1], dtype: like.dtype, device: like.device);
        if (store is not null)
        {
            grown.narrow(0, 0, allocatedRows).copy_(store);
            store.Dispose();
        }
        store = grown.DetachFromDisposeScope();
        for (int slot = rows - 1; slot >= allocatedRows; slot--) freeSlots.Push(slot);
        allocatedRows = rows;
    }

    public void Dispose()
    {
        store?.Dispose();
        store = null;
        allocatedRows = 0;
        index.Clear();
        recency.Clear();
        freeSlots.Clear();
    }

    private sealed record Entry(string Token, int Slot);
}
