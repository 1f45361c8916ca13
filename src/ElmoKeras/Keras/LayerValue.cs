using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>
/// A concrete value flowing between layers: a TorchSharp tensor, or text kept on the host
/// (<see cref="Strings"/>: one string per example; <see cref="Tokens"/>: token lists), with an
/// optional mask [batch, steps] marking real time steps.
/// </summary>
public sealed class LayerValue
{
    private LayerValue(Tensor? tensor, string[]? strings, string[][]? tokens, Tensor? mask)
    {
        Tensor = tensor;
        Strings = strings;
        Tokens = tokens;
        Mask = mask;
    }

    /// <summary>The tensor, when this value is numeric.</summary>
    public Tensor? Tensor { get; }

    /// <summary>One string per example, when this value is text.</summary>
    public string[]? Strings { get; }

    /// <summary>Token lists per example, when this value is tokenised text.</summary>
    public string[][]? Tokens { get; }

    /// <summary>[batch, steps] bool: true on real steps; null when every step is real.</summary>
    public Tensor? Mask { get; }

    /// <summary>Examples in the batch.</summary>
    public long BatchSize => Tensor?.shape[0] ?? Strings?.Length ?? Tokens!.Length;

    /// <summary>
    /// The shape as a layer's <see cref="InputSpec"/> sees it: a tensor's shape; [batch, 1] for one
    /// string per example (as <c>Keras.Input(shape: [1], dtype: DType.String)</c>); [batch, null] for token lists.
    /// </summary>
    public IReadOnlyList<long?> Shape => Tensor is { } t ? t.shape.Select(d => (long?)d).ToArray() : Strings is not null ? [Strings.Length, 1L] : [Tokens!.Length, null];

    /// <summary>The element type as a layer sees it.</summary>
    public DType DType => Tensor is null ? DType.String : Tensor.dtype is TorchSharp.torch.ScalarType.Int64 or TorchSharp.torch.ScalarType.Int32 ? DType.Int64 : DType.Float32;

    /// <summary>Whether the value is text.</summary>
    public bool IsText => Tensor is null;

    /// <summary>Wraps a tensor.</summary>
    public static LayerValue FromTensor(Tensor tensor, Tensor? mask = null) => new(tensor ?? throw new ArgumentNullException(nameof(tensor)), null, null, mask);

    /// <summary>Wraps one string per example.</summary>
    public static LayerValue FromStrings(string[] strings) => new(null, strings ?? throw new ArgumentNullException(nameof(strings)), null, null);

    /// <summary>Wraps token lists.</summary>
    public static LayerValue FromTokens(string[][] tokens) => new(null, null, tokens ?? throw new ArgumentNullException(nameof(tokens)), null);

    /// <summary>The tensor, or a clear error naming <paramref name="layer"/> when the value is text.</summary>
    public Tensor ExpectTensor(string layer) => Tensor
        ?? throw new ArgumentException($"Layer '{layer}' expects a numeric tensor input, but received text. Put a text layer such as ElmoEmbeddingLayer first.");

    /// <summary>The same value with another mask.</summary>
    public LayerValue WithMask(Tensor? mask) => new(Tensor, Strings, Tokens, mask);
}
