using static TorchSharp.torch;

namespace ElmoKeras;

/// <summary>
/// The data a model takes in <see cref="Model.Fit"/>, <see cref="Model.Evaluate"/> and
/// <see cref="Model.Predict"/>: one input's examples or the labels, one row per example. You rarely
/// name this type: arrays and tensors convert to it implicitly, so <c>model.Fit(texts, labels)</c>
/// compiles for the forms a model can use and anything else fails at compile time.
/// For a model with several inputs pass one per input: <c>model.Fit(new ModelData[] { texts, ids }, labels)</c>.
/// </summary>
/// <remarks>
/// The wrapper only references what it was given: a <see cref="Tensor"/> passed in stays the
/// caller's to dispose, and the tensors a model makes from arrays are disposed when the call returns.
/// </remarks>
public sealed class ModelData
{
    private ModelData(object value, int count, string form)
    {
        Value = value;
        Count = count;
        Form = form;
    }

    /// <summary>Number of examples (rows); for several inputs, the first input's.</summary>
    public int Count { get; }

    /// <summary>Whether this holds one value per model input (<see cref="Parts"/>) rather than one input's data.</summary>
    public bool IsMultiInput => Value is ModelData[];

    /// <summary>The per-input parts of multi-input data; a single part otherwise.</summary>
    public IReadOnlyList<ModelData> Parts => Value as ModelData[] ?? [this];

    /// <summary>The array or tensor given.</summary>
    internal object Value { get; }

    /// <summary>What was given, for error messages (e.g. <c>float[,]</c>).</summary>
    internal string Form { get; }

    /// <summary>One text per example (split on spaces by text layers).</summary>
    public static implicit operator ModelData(string[] texts) => new(texts ?? throw new ArgumentNullException(nameof(texts)), texts.Length, "string[]");

    /// <summary>One token list per example.</summary>
    public static implicit operator ModelData(string[][] tokens) => new(tokens ?? throw new ArgumentNullException(nameof(tokens)), tokens.Length, "string[][]");

    /// <summary>One number per example (labels, or a one-feature input).</summary>
    public static implicit operator ModelData(float[] values) => new(values ?? throw new ArgumentNullException(nameof(values)), values.Length, "float[]");

    /// <summary>One number per example, converted to float32.</summary>
    public static implicit operator ModelData(double[] values) => new(values ?? throw new ArgumentNullException(nameof(values)), values.Length, "double[]");

    /// <summary>Rows of features [examples, features].</summary>
    public static implicit operator ModelData(float[,] values) => new(values ?? throw new ArgumentNullException(nameof(values)), values.GetLength(0), "float[,]");

    /// <summary>One integer per example (class labels).</summary>
    public static implicit operator ModelData(int[] values) => new(values ?? throw new ArgumentNullException(nameof(values)), values.Length, "int[]");

    /// <summary>Rows of token ids [examples, steps] (stored as int64, as <c>Embedding</c> expects).</summary>
    public static implicit operator ModelData(int[,] values) => new(values ?? throw new ArgumentNullException(nameof(values)), values.GetLength(0), "int[,]");

    /// <summary>One integer per example.</summary>
    public static implicit operator ModelData(long[] values) => new(values ?? throw new ArgumentNullException(nameof(values)), values.Length, "long[]");

    /// <summary>Rows of token ids [examples, steps].</summary>
    public static implicit operator ModelData(long[,] values) => new(values ?? throw new ArgumentNullException(nameof(values)), values.GetLength(0), "long[,]");

    /// <summary>A tensor whose first dimension is the examples. The caller keeps ownership.</summary>
    public static implicit operator ModelData(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() == 0) throw new ArgumentException("A scalar tensor is not data; expected one row per example (first dimension = examples).", nameof(tensor));
        return new ModelData(tensor, checked((int)tensor.shape[0]), $"Tensor {tensor.dtype} [{string.Join(", ", tensor.shape)}]");
    }

    /// <summary>One value per model input, in the order of <see cref="Model.Inputs"/>.</summary>
    public static implicit operator ModelData(ModelData[] inputs) => Of(inputs);

    /// <summary>One value per model input, in the order of <see cref="Model.Inputs"/>.</summary>
    public static ModelData Of(params ModelData[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new ArgumentException("Multi-input data needs at least one part.", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"Input {i} of the multi-input data is null.");
            if (inputs[i].IsMultiInput) throw new ArgumentException($"Input {i} of the multi-input data is itself multi-input; nest only one level.", nameof(inputs));
        }
        return new ModelData(inputs.ToArray(), inputs[0].Count, $"ModelData[{inputs.Length}]");
    }
}
