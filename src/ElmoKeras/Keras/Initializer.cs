using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras;

/// <summary>How a new weight is filled. Random ones draw from TorchSharp's generator (seed it with <see cref="KerasRandom.SetSeed"/>).</summary>
public abstract class Initializer
{
    /// <summary>Makes a tensor of <paramref name="shape"/>.</summary>
    public abstract Tensor Create(long[] shape);

    /// <summary>Keras's default for kernels: U(−l, l), l = √(6 / (fan_in + fan_out)).</summary>
    public static Initializer GlorotUniform { get; } = new GlorotUniformInitializer();

    /// <summary>All zeros (Keras's default for biases).</summary>
    public static Initializer Zeros { get; } = new ConstantInitializer(0);

    /// <summary>All ones.</summary>
    public static Initializer Ones { get; } = new ConstantInitializer(1);

    /// <summary>Keras's default for embeddings: U(−0.05, 0.05).</summary>
    public static Initializer RandomUniform005 { get; } = new UniformInitializer(0.05);

    /// <summary>Every element <paramref name="value"/>.</summary>
    public static Initializer Constant(double value) => new ConstantInitializer(value);

    private sealed class GlorotUniformInitializer : Initializer
    {
        public override Tensor Create(long[] shape)
        {
            // Keras fans: the last two dimensions are (in, out); leading ones are a receptive field.
            long receptive = shape.Length > 2 ? shape[..^2].Aggregate(1L, (a, b) => a * b) : 1;
            double fanIn = (shape.Length >= 2 ? shape[^2] : shape[0]) * receptive, fanOut = shape[^1] * receptive;
            double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
            return rand(shape).SpreadToSymmetric(limit);
        }
    }

    private sealed class UniformInitializer(double limit) : Initializer
    {
        public override Tensor Create(long[] shape) => rand(shape).SpreadToSymmetric(limit);
    }

    private sealed class ConstantInitializer(double value) : Initializer
    {
        public override Tensor Create(long[] shape) => HeldScalarMath.Full(shape, value);
    }
}

/// <summary>Seeding, as <c>keras.utils.set_random_seed</c>.</summary>
public static class KerasRandom
{
    /// <summary>
    /// Seeds TorchSharp's global generator, which weight initialisers and dropout draw from, so
    /// that models built and trained after this call are reproducible.
    /// </summary>
    public static void SetSeed(int seed) => TorchSharp.torch.random.manual_seed(seed);
}
