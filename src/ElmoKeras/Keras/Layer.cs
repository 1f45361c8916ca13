using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>
/// The base of every layer, as in Keras: weights are made lazily by <see cref="Build"/> on the
/// first call, <see cref="Call"/> computes, masks flow through <see cref="ComputeMask"/>, and
/// <see cref="Apply(KerasTensor[])"/> records the layer in a functional graph.
/// Subclass it to write your own layer. Layers own native memory: dispose them (a
/// model disposes its layers).
/// </summary>
public abstract class Layer : IDisposable
{
    private readonly List<Weight> weights = [];
    private bool trainable = true;
    private bool disposed;

    /// <summary>Creates a layer; without a name it gets one from its type, made unique within its model.</summary>
    protected Layer(string? name)
    {
        if (name is not null && (name.Length == 0 || name.Contains('/')))
            throw new ArgumentException($"Layer name '{name}' must be non-empty and must not contain '/'.", nameof(name));
        Name = name ?? DefaultName();
        NameWasGiven = name is not null;
    }

    /// <summary>The layer's name: unique within a model (Keras-style defaults such as <c>dense_1</c>).</summary>
    public string Name { get; internal set; }

    internal bool NameWasGiven { get; }

    /// <summary>Whether <see cref="Build"/> has run.</summary>
    public bool Built { get; private set; }

    /// <summary>
    /// Whether training may change the layer's weights. Setting false freezes all of them (they
    /// move to <see cref="NonTrainableWeights"/>); recompile the model after changing it.
    /// </summary>
    public virtual bool Trainable
    {
        get => trainable;
        set
        {
            trainable = value;
            SyncRequiresGrad();
            TrainableChanged?.Invoke(this, EventArgs.Empty);
        }
    }

    internal event EventHandler? TrainableChanged;

    /// <summary>Whether the layer passes masks on (or consumes them) rather than dropping them.</summary>
    public virtual bool SupportsMasking => false;

    /// <summary>All weights, trainable first as Keras lists them.</summary>
    public IReadOnlyList<Weight> Weights => [.. TrainableWeights, .. NonTrainableWeights];

    /// <summary>Weights training changes.</summary>
    public IReadOnlyList<Weight> TrainableWeights => weights.Where(w => w.Trainable).ToList();

    /// <summary>Weights training leaves alone.</summary>
    public IReadOnlyList<Weight> NonTrainableWeights => weights.Where(w => !w.Trainable).ToList();

    /// <summary>Number of scalars in all weights.</summary>
    public long CountParams() => weights.Sum(w => w.Parameter.numel());

    /// <summary>
    /// Calls the layer on symbolic inputs, building it if needed, and returns the symbolic output.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs do not match the layer's <see cref="InputSpecs"/>; the message says how.</exception>
    public KerasTensor Apply(params KerasTensor[] inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        var shapes = inputs.Select(i => i.Shape).ToArray();
        var dtypes = inputs.Select(i => i.DType).ToArray();
        CheckAndBuild(shapes, dtypes);
        var node = new Node(this, inputs);
        node.Output = new KerasTensor(ComputeOutputShape(shapes), ComputeOutputDType(dtypes), Name, node);
        return node.Output;
    }

    /// <summary>
    /// Runs the layer eagerly on concrete values (inference mode unless <paramref name="training"/>),
    /// building it from the values' shapes on the first call. Inputs are checked as <see cref="Apply"/> checks them.
    /// </summary>
    public LayerValue Invoke(IReadOnlyList<LayerValue> inputs, bool training = false)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        // The batch dimension stays unknown, as in a symbolic shape, so weights never depend on it.
        var shapes = inputs.Select(v => v.Shape).Select(s => (IReadOnlyList<long?>)[null, .. s.Skip(1)]).ToArray();
        CheckAndBuild(shapes, inputs.Select(v => v.DType).ToArray());
        return CallInternal(inputs, training);
    }

    /// <summary>
    /// What each input must look like, one spec per input, checked by <see cref="Apply"/> and
    /// <see cref="Invoke"/> before the layer builds or runs; null when the layer takes any number
    /// of inputs (it then checks them in <see cref="CheckInputs"/>). May change once built (e.g. a
    /// fixed feature size).
    /// </summary>
    public virtual IReadOnlyList<InputSpec>? InputSpecs => null;

    private void CheckAndBuild(IReadOnlyList<IReadOnlyList<long?>> shapes, IReadOnlyList<DType> dtypes)
    {
        if (shapes.Count == 0) throw new ArgumentException($"Layer '{Name}' was called with no inputs.");
        for (int i = 0; i < dtypes.Count; i++)
            if (dtypes[i] == DType.String && !AcceptsText)
                throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) expects numeric input, but input {i} is text (dtype string, shape {KerasTensor.FormatShape(shapes[i])}). Put a text layer such as ElmoEmbeddingLayer first.");
        if (InputSpecs is { } specs)
        {
            if (specs.Count != shapes.Count)
                throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) takes {specs.Count} input{(specs.Count == 1 ? "" : "s")}, got {shapes.Count}.");
            for (int i = 0; i < specs.Count; i++) specs[i].Check(this, i, shapes[i], dtypes[i], shapes.Count);
        }
        CheckInputs(shapes, dtypes);
        if (Built) return;
        // The weights belong to the layer, not to whatever dispose scope its first call runs in: a
        // caller's NewDisposeScope would dispose them when it ends and break every later call.
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            Build(shapes);
            scope.Detach(scope.DisposablesView.ToArray());
        }
        Built = true;
    }

    /// <summary>
    /// The error for using a layer's weights before it has any: says how to build it. Layers throw it
    /// from accessors of weights that <see cref="Build"/> creates.
    /// </summary>
    protected InvalidOperationException NotBuilt() =>
        new($"Layer '{Name}' ({GetType().Name}) is not built yet: its weights are made on the first call. Call it on an input first (layer.Apply(Keras.Input(...)) in a model, or layer.Invoke(values)).");

    /// <summary>Creates the weights for inputs of <paramref name="inputShapes"/> (batch dimension null).</summary>
    protected virtual void Build(IReadOnlyList<IReadOnlyList<long?>> inputShapes) { }

    /// <summary>Computes the output for a batch.</summary>
    /// <param name="inputs">One value per input, each with its mask.</param>
    /// <param name="training">True inside <c>Fit</c>: dropout and similar behave differently.</param>
    protected abstract LayerValue Call(IReadOnlyList<LayerValue> inputs, bool training);

    /// <summary>The output shape for inputs of <paramref name="inputShapes"/>; by default the first input's.</summary>
    public virtual IReadOnlyList<long?> ComputeOutputShape(IReadOnlyList<IReadOnlyList<long?>> inputShapes) => inputShapes[0];

    /// <summary>The output element type; by default float32.</summary>
    protected virtual DType ComputeOutputDType(IReadOnlyList<DType> inputTypes) => DType.Float32;

    /// <summary>
    /// The output's mask. By default: the mask <see cref="Call"/> attached, else the first input's
    /// mask when <see cref="SupportsMasking"/>, else none.
    /// </summary>
    protected virtual Tensor? ComputeMask(IReadOnlyList<LayerValue> inputs, LayerValue output) =>
        output.Mask ?? (SupportsMasking ? inputs[0].Mask : null);

    /// <summary>
    /// Checks that <see cref="InputSpecs"/> cannot state (e.g. several inputs agreeing with each other),
    /// after the specs passed; throw <see cref="ArgumentException"/> naming the layer.
    /// </summary>
    protected virtual void CheckInputs(IReadOnlyList<IReadOnlyList<long?>> inputShapes, IReadOnlyList<DType> inputTypes) { }

    /// <summary>Whether the layer takes text inputs.</summary>
    protected virtual bool AcceptsText => false;

    /// <summary>
    /// Creates a weight of <paramref name="shape"/> filled by <paramref name="initializer"/>. The layer
    /// owns it: disposing the layer frees it.
    /// </summary>
    protected Parameter AddWeight(string name, long[] shape, Initializer initializer, bool trainable = true)
    {
        ArgumentNullException.ThrowIfNull(initializer);
        var parameter = new Parameter(initializer.Create(shape));
        Register(name, parameter, trainable, owned: true);
        return parameter;
    }

    /// <summary>Registers an existing parameter as a weight of this layer.</summary>
    /// <param name="name">The weight's name within the layer.</param>
    /// <param name="existing">The parameter.</param>
    /// <param name="trainable">Whether training changes it.</param>
    /// <param name="owned">
    /// True when disposing this layer should free the parameter; false when something else owns it
    /// (a TorchSharp module or a pretrained model that the layer, or its caller, disposes).
    /// </param>
    protected void AddWeight(string name, Parameter existing, bool trainable, bool owned)
    {
        ArgumentNullException.ThrowIfNull(existing);
        Register(name, existing, trainable, owned);
    }

    /// <summary>
    /// Registers every parameter of a TorchSharp module as a weight of this layer, named
    /// <c>prefix/parameter.path</c>; used to wrap big pretrained modules. The parameters stay the
    /// module's: dispose the module (not its parameters one by one) when the layer is disposed.
    /// </summary>
    /// <param name="prefix">Prepended to each parameter's path.</param>
    /// <param name="module">The module.</param>
    /// <param name="trainable">Whether training changes them.</param>
    /// <param name="learningRateScale">What the optimizer's learning rate is multiplied by for them (see <see cref="Weight.LearningRateScale"/>).</param>
    protected void AddWeights(string prefix, nn.Module module, bool trainable, double learningRateScale = 1)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, parameter) in module.named_parameters())
            Register(prefix.Length == 0 ? name : $"{prefix}/{name}", parameter, trainable, owned: false, learningRateScale);
    }

    private void Register(string name, Parameter parameter, bool trainable, bool owned, double learningRateScale = 1)
    {
        if (weights.Any(w => w.Name == name)) throw new InvalidOperationException($"Layer '{Name}' already has a weight named '{name}'.");
        weights.Add(new Weight(this, name, parameter, trainable, owned) { LearningRateScale = learningRateScale });
        SyncRequiresGrad();
    }

    private void SyncRequiresGrad()
    {
        foreach (Weight weight in weights) weight.Parameter.requires_grad = weight.Trainable;
    }

    internal LayerValue CallInternal(IReadOnlyList<LayerValue> inputs, bool training)
    {
        LayerValue output = Call(inputs, training);
        Tensor? mask = ComputeMask(inputs, output);
        return ReferenceEquals(mask, output.Mask) ? output : output.WithMask(mask);
    }

    private string DefaultName()
    {
        // Keras: Dense -> dense, GlobalAveragePooling1D -> global_average_pooling1d.
        string type = GetType().Name;
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < type.Length; i++)
        {
            if (char.IsUpper(type[i]) && i > 0 && (char.IsLower(type[i - 1]) || (i + 1 < type.Length && char.IsLower(type[i + 1])))) text.Append('_');
            text.Append(char.ToLowerInvariant(type[i]));
        }
        return text.ToString();
    }

    /// <summary>
    /// Called after this layer's weights were overwritten from outside a training step
    /// (<see cref="Model.LoadWeights"/>, restoring the best weights), so a layer that keeps values
    /// derived from its weights can drop them.
    /// </summary>
    protected internal virtual void OnWeightsChanged() { }

    /// <summary>
    /// Frees the weights this layer owns (those made by <see cref="AddWeight(string, long[], Initializer, bool)"/>
    /// or registered with <c>owned: true</c>). Override to dispose modules the layer created, and call the base.
    /// </summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) foreach (Weight weight in weights.Where(w => w.Owned)) weight.Parameter.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Guarded here so overrides free what they own exactly once, however often Dispose is called.
        if (disposed) return;
        disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name} '{Name}'";
}
