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

    public override Tensor forward(Tensor characterIds)
    {
        long n = characterIds.shape[0];
        if (n == 0) return Encode(characterIds);
        using var scope = NewDisposeScope();
        long padded = (n + GroupTokens - 1) / GroupTokens * GroupTokens;
        // Padding rows hold the padding character only; their vectors are computed and dropped.
        Tensor ids = padded == n ? characterIds : cat([characterIds, zeros(padded - n, characterIds.shape[1], dtype: characterIds.dtype, device: characterIds.device)], 0);
        var parts = new Tensor[padded / GroupTokens];
        for (int g = 0; g < parts.Length; g++)
        {
            using var groupScope = NewDisposeScope();
            parts[g] = Encode(ids.narrow(0, (long)g * GroupTokens, GroupTokens)).MoveToOuterDisposeScope();
        }
        Tensor all = parts.Length == 1 ? parts[0] : cat(parts, 0);
        return all.narrow(0, 0, n).MoveToOuterDisposeScope();
    }

    private Tensor Encode(Tensor characterIds)
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
            long width = convolution.weight!.shape[2], count = convolution.weight.shape[0], positions = chars - width + 1;
            Tensor windows = embedded.unfold(1, width, 1).reshape(n * positions, -1);
            Tensor convolved = nn.functional.linear(windows, convolution.weight.view(count, -1), convolution.bias);
            // Max over positions, then the activation: both are monotone, so the order is free and
            // pooling first applies the activation to far fewer values.
            Tensor max = convolved.view(n, positions, count).amax(1);
            pooled[i] = activation == CharCnnActivation.Relu ? nn.functional.relu(max) : max.tanh();
        }
        Tensor x = cat(pooled, 1);
        foreach (Highway highway in highways) x = highway.call(x);
        return projection.call(x).MoveToOuterDisposeScope();
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

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor gate = carry.call(x).sigmoid();
        Tensor transformed = nn.functional.relu(transform.call(x));
        return (gate * transformed).Plus(HeldScalarMath.Minus(1, gate) * x).MoveToOuterDisposeScope();
    }
}
