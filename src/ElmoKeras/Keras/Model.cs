using ElmoKeras.Callbacks;
using ElmoKeras.Losses;
using ElmoKeras.Metrics;
using ElmoKeras.Optimizers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>
/// A functional model: the graph of layers between <see cref="Inputs"/> and <see cref="Outputs"/>,
/// trained with <see cref="Compile(string, string, IEnumerable{string}?, double?)"/> and
/// <see cref="Fit"/> as in Keras. Owns its layers: disposing the model disposes them.
/// </summary>
public sealed partial class Model : IDisposable
{
    private readonly List<Node> nodes;
    private readonly ILogger logger;
    private bool disposed;

    /// <summary>A model from one input to one output.</summary>
    public Model(KerasTensor input, KerasTensor output, string? name = null, ILogger? logger = null)
        : this([input], [output], name, logger) { }

    /// <summary>A model from several inputs to several outputs.</summary>
    /// <exception cref="ArgumentException">An output does not depend only on the given inputs.</exception>
    public Model(IReadOnlyList<KerasTensor> inputs, IReadOnlyList<KerasTensor> outputs, string? name = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Count == 0 || outputs.Count == 0) throw new ArgumentException("A model needs at least one input and one output.");
        foreach (KerasTensor input in inputs)
            if (input.Producer is not null) throw new ArgumentException($"Model inputs must come from Keras.Input(); '{input.Name}' is the output of layer '{input.Producer.Layer.Name}'.", nameof(inputs));
        Inputs = inputs;
        Outputs = outputs;
        Name = name ?? "functional";
        this.logger = logger ?? NullLogger.Instance;
        nodes = TopologicalOrder(inputs, outputs);
        Layers = nodes.Select(n => n.Layer).Distinct().ToList();
        AssignUniqueNames();
        foreach (Layer layer in Layers) layer.TrainableChanged += (_, _) => trainableChangedSinceCompile = true;
    }

    /// <summary>The model's name (shown by <see cref="Summary"/>).</summary>
    public string Name { get; }

    /// <summary>The symbolic inputs.</summary>
    public IReadOnlyList<KerasTensor> Inputs { get; }

    /// <summary>The symbolic outputs.</summary>
    public IReadOnlyList<KerasTensor> Outputs { get; }

    /// <summary>The layers in the order they run.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>Where <see cref="Summary"/> and the progress bar write; default the console.</summary>
    public TextWriter Output { get; set; } = Console.Out;

    /// <summary>Set by a callback to end <see cref="Fit"/> after the current epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>All weights of all layers.</summary>
    public IReadOnlyList<Weight> Weights => Layers.SelectMany(l => l.Weights).ToList();

    /// <summary>The weights training changes.</summary>
    public IReadOnlyList<Weight> TrainableWeights => Layers.SelectMany(l => l.TrainableWeights).ToList();

    /// <summary>The weights training leaves alone.</summary>
    public IReadOnlyList<Weight> NonTrainableWeights => Layers.SelectMany(l => l.NonTrainableWeights).ToList();

    /// <summary>The layer called <paramref name="name"/>.</summary>
    public Layer GetLayer(string name) => Layers.FirstOrDefault(l => l.Name == name)
        ?? throw new ArgumentException($"Model '{Name}' has no layer '{name}'; it has {string.Join(", ", Layers.Select(l => l.Name))}.", nameof(name));

    /// <summary>Number of scalars in all weights.</summary>
    public long CountParams() => Layers.Sum(l => l.CountParams());

    /// <summary>Runs the graph on one batch. <paramref name="replace"/> may supply a node's output instead of calling its layer.</summary>
    internal IReadOnlyList<LayerValue> Forward(IReadOnlyList<LayerValue> inputs, bool training, Func<Node, LayerValue?>? replace = null)
    {
        var values = new Dictionary<KerasTensor, LayerValue>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < Inputs.Count; i++) values[Inputs[i]] = inputs[i];
        foreach (Node node in nodes)
        {
            LayerValue? value = replace?.Invoke(node);
            values[node.Output] = value ?? node.Layer.CallInternal(node.Inputs.Select(t => values[t]).ToArray(), training);
        }
        return Outputs.Select(o => values[o]).ToArray();
    }

    internal IEnumerable<Node> Nodes => nodes;

    private static List<Node> TopologicalOrder(IReadOnlyList<KerasTensor> inputs, IReadOnlyList<KerasTensor> outputs)
    {
        var order = new List<Node>();
        var done = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var inputSet = new HashSet<KerasTensor>(inputs, ReferenceEqualityComparer.Instance);
        void Visit(KerasTensor tensor)
        {
            if (tensor.Producer is null)
            {
                if (!inputSet.Contains(tensor))
                    throw new ArgumentException($"Graph disconnected: the model's outputs depend on input '{tensor.Name}' {tensor.ShapeText}, which is not among the model's inputs.");
                return;
            }
            if (done.Contains(tensor.Producer)) return;
            foreach (KerasTensor input in tensor.Producer.Inputs) Visit(input);
            done.Add(tensor.Producer);
            order.Add(tensor.Producer);
        }
        foreach (KerasTensor output in outputs) Visit(output);
        return order;
    }

    private void AssignUniqueNames()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (Layer layer in Layers.Where(l => l.NameWasGiven))
            if (!used.Add(layer.Name)) throw new ArgumentException($"Model '{Name}' has two layers named '{layer.Name}'; layer names must be unique.");
        foreach (Layer layer in Layers.Where(l => !l.NameWasGiven))
        {
            string baseName = layer.Name.Split('_') is { Length: > 1 } parts && int.TryParse(parts[^1], out _) ? string.Join('_', parts[..^1]) : layer.Name;
            string candidate = baseName;
            for (int k = 1; used.Contains(candidate); k++) candidate = $"{baseName}_{k}";
            layer.Name = candidate;
            used.Add(candidate);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        updater?.Dispose();
        foreach (Layer layer in Layers) layer.Dispose();
    }
}
