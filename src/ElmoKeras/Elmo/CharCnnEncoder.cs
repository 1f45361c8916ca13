using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// The context-independent half of ELMo: character embeddings, one convolution per filter width
/// max-pooled over the token, highway layers, and a linear projection to the LSTM input size.
/// Input: character ids [N, max_characters]; output: token embeddings [N, projection_dim].
/// </summary>
internal sealed class CharCnnEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Parameter charEmbedding;
    private readonly ModuleList<Conv1d> convolutions;
    private readonly ModuleList<Highway> highways;
    private readonly Linear projection;
    private readonly CharCnnActivation activation;

    public CharCnnEncoder(ElmoOptions options) : base("char_cnn")
    {
        CharCnnOptions cnn = options.CharCnn;
        activation = cnn.Activation;
        // Row 0 is the padding character and stays zero: the weight files hold rows 1..261 only.
        charEmbedding = new Parameter(zeros(cnn.NumCharacters, cnn.EmbeddingDim));
        convolutions = new ModuleList<Conv1d>(cnn.Filters.Select(f => nn.Conv1d(cnn.EmbeddingDim, f.Count, f.Width)).ToArray());
        int numFilters = options.NumFilters;
        highways = new ModuleList<Highway>(Enumerable.Range(0, cnn.NumHighway).Select(_ => new Highway(numFilters)).ToArray());
        projection = nn.Linear(numFilters, options.Lstm.ProjectionDim);
        RegisterComponents();
    }

    public Parameter CharEmbedding => charEmbedding;
    public ModuleList<Conv1d> Convolutions => convolutions;
    public ModuleList<Highway> Highways => highways;
    public Linear Projection => projection;

    /// <summary>
    /// Tokens encoded together. Every call runs groups of exactly this many tokens (the last one
    /// padded), so the matrix products always have the same shapes: a token's vector is then the
    /// same to the bit whatever else is in its batch (BLAS picks kernels and blocking by shape, and
    /// rounds differently for different row counts), which keeps the token cache exact and sharded
    /// runs identical to single ones. Groups also bound the convolutions' intermediate maps (about
    /// 90,000 floats per token for the original ELMo), whatever the batch size.
    /// </summary>
    internal const int GroupTokens = 64;

    /// <summary>
    /// Window positions the convolutions run over for a token shorter than each tier, shortest
    /// first; longer tokens run over every position. A token is its begin-of-word mark, its bytes,
    /// its end-of-word mark, then the padding character up to 50: every window that starts at or
    /// after its length sees padding only, so all those windows hold one and the same value, and the
    /// max-pool needs just one of them. A tier of S positions therefore takes the tokens of length
    /// below S (the window at their length is among the first S) and gives exactly the full max.
    /// Distinct IMDB tokens have a median length of 9 (marks included) and 98% are below 16, so the
    /// convolutions run over about 12 positions on average instead of 44-50.
    /// </summary>
    private static readonly int[] TierPositions = [8, 12, 16, 24];

    /// <summary>Whether tokens run in the tiers of <see cref="TierPositions"/>; tests turn it off to compare with every position.</summary>
    internal bool UseTiers { get; set; } = true;

    public override Tensor forward(Tensor characterIds)
    {
        long n = characterIds.shape[0];
        if (n == 0) return Encode(Convolve(characterIds, null));
        using var scope = NewDisposeScope();
        long chars = characterIds.shape[1];
        long maxWidth = convolutions.Max(c => c.weight!.shape[2]);
        int[] tierOf = UseTiers ? Tiers(characterIds, chars, maxWidth) : Enumerable.Repeat(TierPositions.Length, (int)n).ToArray();
        var order = new List<long>((int)n);
        var pooledParts = new List<Tensor>();
        for (int tier = 0; tier <= TierPositions.Length; tier++)
        {
            long[] members = Enumerable.Range(0, (int)n).Where(i => tierOf[i] == tier).Select(i => (long)i).ToArray();
            if (members.Length == 0) continue;
            // The full tier keeps the encoder's own positions; a short one reads just the characters its windows cover.
            long? positions = tier < TierPositions.Length ? TierPositions[tier] : null;
            long span = positions is long p ? p + maxWidth - 1 : chars;
            Tensor ids = characterIds.index_select(0, tensor(members, device: characterIds.device)).narrow(1, 0, span);
            pooledParts.Add(InGroups(ids, group => Convolve(group, positions)));
            order.AddRange(members);
        }
        Tensor pooled = pooledParts.Count == 1 ? pooledParts[0] : cat(pooledParts, 0);
        if (pooledParts.Count > 1)
        {
            // Back to the callers' token order, so that the highway groups below do not depend on the tiers.
            var inverse = new long[n];
            for (int i = 0; i < order.Count; i++) inverse[order[i]] = i;
            pooled = pooled.index_select(0, tensor(inverse, device: pooled.device));
        }
        return InGroups(pooled, Encode).MoveToOuterDisposeScope();
    }

    /// <summary>Each token's tier: the first whose position count exceeds its length, or the full tier.</summary>
    private static int[] Tiers(Tensor characterIds, long chars, long maxWidth)
    {
        // A few thousand ids at most: read on the host, with no tensor op (and no scalar to hold).
        using Tensor host = characterIds.cpu();
        long[] ids = host.data<long>().ToArray();
        var tiers = new int[ids.Length / chars];
        for (int i = 0; i < tiers.Length; i++)
        {
            // Length: one past the last id that is not the padding character.
            long length = chars;
            while (length > 0 && ids[i * chars + length - 1] == ElmoCharacters.PaddingId) length--;
            int tier = 0;
            while (tier < TierPositions.Length && (length >= TierPositions[tier] || TierPositions[tier] + maxWidth - 1 > chars)) tier++;
            tiers[i] = tier;
        }
        return tiers;
    }

    /// <summary>
    /// Runs <paramref name="encode"/> over <paramref name="rows"/> in groups of exactly
    /// <see cref="GroupTokens"/> rows (the last padded with zero rows, whose results are dropped).
    /// </summary>
    private static Tensor InGroups(Tensor rows, Func<Tensor, Tensor> encode)
    {
        using var scope = NewDisposeScope();
        long n = rows.shape[0];
        long padded = (n + GroupTokens - 1) / GroupTokens * GroupTokens;
        Tensor all = padded == n ? rows : cat([rows, zeros([padded - n, .. rows.shape[1..]], dtype: rows.dtype, device: rows.device)], 0);
        var parts = new Tensor[padded / GroupTokens];
        for (int g = 0; g < parts.Length; g++)
        {
            using var groupScope = NewDisposeScope();
            parts[g] = encode(all.narrow(0, (long)g * GroupTokens, GroupTokens)).MoveToOuterDisposeScope();
        }
        Tensor joined = parts.Length == 1 ? parts[0] : cat(parts, 0);
        return joined.narrow(0, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The max-pooled, activated convolutions [N, filters] of character ids [N, chars], over the
    /// first <paramref name="positions"/> windows of each width, or all of them when null.
    /// </summary>
    private Tensor Convolve(Tensor characterIds, long? positions)
    {
        using var scope = NewDisposeScope();
        long n = characterIds.shape[0], chars = characterIds.shape[1];
        Tensor embedded = charEmbedding.index_select(0, characterIds.reshape(-1)).reshape(n, chars, -1); // [N, chars, D]
        var pooled = new Tensor[convolutions.Count];
        for (int i = 0; i < convolutions.Count; i++)
        {
            // Each convolution as one matrix product over all windows: about 1.7x faster on CPU than
            // Conv1d for these thin inputs (D = 16). Windows [N, positions, D, width] flatten in the
            // (channel, offset) order of the Conv1d weight [count, D, width].
            Conv1d convolution = convolutions[i];
            long width = convolution.weight!.shape[2], count = convolution.weight.shape[0];
            long windowCount = positions ?? chars - width + 1;
            Tensor windows = embedded.narrow(1, 0, windowCount + width - 1).unfold(1, width, 1).reshape(n * windowCount, -1);
            Tensor convolved = nn.functional.linear(windows, convolution.weight.view(count, -1), convolution.bias);
            // Max over positions, then the activation: both are monotone, so the order is free and
            // pooling first applies the activation to far fewer values.
            Tensor max = convolved.view(n, windowCount, count).amax(1);
            pooled[i] = activation == CharCnnActivation.Relu ? nn.functional.relu(max) : max.tanh();
        }
        return cat(pooled, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Highways and projection: pooled convolutions [N, filters] to token vectors [N, projection_dim].</summary>
    private Tensor Encode(Tensor pooled)
    {
        using var scope = NewDisposeScope();
        // Feature-major ([filters, N]) from here on, as the LSTM's recurrence runs: the big square
        // weights times a thin operand ran about 1.2x faster on CPU BLAS than the thin rows times
        // the weights transposed ([2048, 2048]·[2048, 64]: 6.5-7.3 against 7.8-13 ms, best of 30),
        // and the highways are most of the encoder's time.
        Tensor x = pooled.t();
        foreach (Highway highway in highways) x = highway.ForwardFeatureMajor(x);
        return addmm(projection.bias!.unsqueeze(1), projection.weight!, x, beta: 1, alpha: 1).t().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One highway layer as bilm-tf defines it: g = σ(x·W_carry + b_carry),
/// y = g ⊙ relu(x·W_transform + b_transform) + (1 − g) ⊙ x. The gate made from the "carry" weights
/// scales the transformed value, whatever the names suggest.
/// </summary>
internal sealed class Highway : nn.Module<Tensor, Tensor>
{
    private readonly Linear carry;
    private readonly Linear transform;

    public Highway(int size) : base("highway")
    {
        carry = nn.Linear(size, size);
        transform = nn.Linear(size, size);
        RegisterComponents();
    }

    public Linear Carry => carry;
    public Linear Transform => transform;

    /// <summary>The layer over token rows [N, size].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return ForwardFeatureMajor(x.t()).t().MoveToOuterDisposeScope();
    }

    /// <summary>The layer over feature-major tokens [size, N] (one column per token).</summary>
    internal Tensor ForwardFeatureMajor(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor gate = addmm(carry.bias!.unsqueeze(1), carry.weight!, x, beta: 1, alpha: 1).sigmoid_();
        Tensor transformed = addmm(transform.bias!.unsqueeze(1), transform.weight!, x, beta: 1, alpha: 1);
        // g ⊙ t + (1 − g) ⊙ x, written as x + g ⊙ (t − x): one operation and one temporary fewer.
        if (is_grad_enabled()) return x.Plus(gate.mul(nn.functional.relu(transformed).sub(x))).MoveToOuterDisposeScope();
        using Scalar one = 1.0.ToScalar();
        return transformed.relu_().sub_(x).mul_(gate).add_(x, one).MoveToOuterDisposeScope();
    }
}
