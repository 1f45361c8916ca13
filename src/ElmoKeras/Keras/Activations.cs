using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>Activations by their Keras names.</summary>
public static class Activations
{
    /// <summary>The names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["linear", "relu", "sigmoid", "tanh", "softmax", "gelu"];

    /// <summary>The activation called <paramref name="name"/> (null means linear).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static Func<Tensor, Tensor> Get(string? name) => (name ?? "linear").ToLowerInvariant() switch
    {
        "linear" => x => x.alias(),
        "relu" => x => nn.functional.relu(x),
        "sigmoid" => x => x.sigmoid(),
        "tanh" => x => x.tanh(),
        "softmax" => x => nn.functional.softmax(x, -1),
        "gelu" => x => nn.functional.gelu(x),
        _ => throw new ArgumentException($"Unknown activation '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
    };
}
