using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Layers;

/// <summary><c>activation(x · kernel + bias)</c> over the last dimension; passes masks on.</summary>
public sealed class Dense : Layer
{
    private readonly Func<Tensor, Tensor> activation;
    private Parameter? kernel;
    private Parameter? bias;

    /// <param name="units">Output size.</param>
    /// <param name="activation">linear (default), relu, sigmoid, tanh, softmax or gelu.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="name">Layer name; default <c>dense</c>, <c>dense_1</c>, ….</param>
    public Dense(int units, string? activation = null, bool useBias = true, string? name = null) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        Units = units;
        ActivationName = activation ?? "linear";
        this.activation = Activations.Get(activation);
        UseBias = useBias;
    }

    /// <summary>Output size.</summary>
    public int Units { get; }

    /// <summary>The activation's name.</summary>
    public string ActivationName { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>[input, units] (Keras layout).</summary>
    public Parameter Kernel => kernel ?? throw NotBuilt();

    /// <summary>[units], or null without bias.</summary>
    public Parameter? Bias => bias;

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> InputSpecs =>
        [new InputSpec { MinRank = 2, Axes = new Dictionary<int, long?> { [-1] = kernel?.shape[0] }, Layout = "[batch, ..., features]" }];

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<IReadOnlyList<long?>> inputShapes)
    {
        long inputDim = inputShapes[0][^1]!.Value;
        kernel = AddWeight("kernel", [inputDim, Units], Initializer.GlorotUniform);
        if (UseBias) bias = AddWeight("bias", [Units], Initializer.Zeros);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => [.. inputShapes[0].Take(inputShapes[0].Count - 1), Units];

    /// <inheritdoc/>
    protected override LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training)
    {
        Tensor x = inputs[0].ExpectTensor(Name);
        if (x.shape[^1] != Kernel.shape[0])
            throw new ArgumentException($"Layer '{Name}' expected input with last dimension {Kernel.shape[0]}, received shape [{string.Join(", ", x.shape)}].");
        using var scope = NewDisposeScope();
        Tensor y = x.matmul(Kernel);
        if (bias is not null) y = y.Plus(bias);
        return LayerValue.FromTensor(activation(y).MoveToOuterDisposeScope());
    }
}
