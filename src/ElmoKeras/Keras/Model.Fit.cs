using ElmoKeras.Callbacks;
using ElmoKeras.Metrics;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace ElmoKeras;

public sealed partial class Model
{
    /// <summary>
    /// Trains the model, as Keras's <c>fit</c>. <paramref name="x"/> is string[] (one text per example),
    /// string[][] (tokens), float[]/float[,]/int[,]/long[,] or a Tensor; for several inputs a
    /// <see cref="ModelData"/>[] with one such value per input. <paramref name="y"/> is float[], int[],
    /// float[,] or a Tensor. Tensors passed in stay yours; those made from arrays are freed before it returns.
    /// </summary>
    /// <param name="x">Inputs, one row per example.</param>
    /// <param name="y">Labels, one per example.</param>
    /// <param name="batchSize">Examples per gradient step.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="shuffle">Shuffle the training examples each epoch.</param>
    /// <param name="callbacks">Hooks beyond the automatic <see cref="History"/> and progress bar.</param>
    /// <param name="validationData">Data evaluated after each epoch (logged with a <c>val_</c> prefix).</param>
    /// <param name="validationSplit">Fraction of the training data (taken from its end, before shuffling) held out for validation instead.</param>
    /// <param name="seed">Makes shuffling and dropout reproducible.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line per epoch.</param>
    /// <param name="cancellationToken">Stops between batches; the weights are those after the last finished batch.</param>
    /// <exception cref="InvalidOperationException">Not compiled.</exception>
    /// <exception cref="ArgumentException">Bad data: wrong type, count or shape; the message says which.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public History Fit(ModelData x, ModelData y, int batchSize = 32, int epochs = 1, (ModelData X, ModelData Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, int? seed = null, IEnumerable<Callback>? callbacks = null, int verbose = 1,
        CancellationToken cancellationToken = default)
    {
        EnsureCompiled("fit");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        if (validationSplit is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "validationSplit must be in [0, 1).");
        if (validationSplit > 0 && validationData is not null) throw new ArgumentException("Pass validationData or validationSplit, not both.");

        using BatchSet train = Prepare(x, y, "x", "y");
        using BatchSet? validation = validationData is var (vx, vy) ? Prepare(vx, vy, "validationData.X", "validationData.Y") : null;
        BatchSource[] inputs = train.Inputs;
        BatchSource labels = train.RequireLabels();
        int[] trainIndex = Enumerable.Range(0, labels.Count).ToArray();
        int[]? valIndex = null;
        BatchSource[]? valInputs = null;
        BatchSource? valLabels = null;
        if (validationSplit > 0)
        {
            int held = (int)(labels.Count * validationSplit);
            valIndex = trainIndex[^held..];
            trainIndex = trainIndex[..^held];
            (valInputs, valLabels) = (inputs, labels);
        }
        else if (validation is not null)
        {
            (valInputs, valLabels) = (validation.Inputs, validation.RequireLabels());
            valIndex = Enumerable.Range(0, valLabels.Count).ToArray();
        }

        if (seed is int s) KerasRandom.SetSeed(s);
        var random = seed is int s2 ? new Random(s2) : new Random();
        var history = new History();
        var all = new List<Callback> { history };
        if (verbose > 0) all.Add(new ProgressBar(Output, verbose, interactive: ReferenceEquals(Output, Console.Out) && !Console.IsOutputRedirected)
        {
            Steps = (trainIndex.Length + batchSize - 1) / batchSize,
            Epochs = epochs,
        });
        all.AddRange(callbacks ?? []);
        foreach (Callback callback in all) callback.Model = this;

        using var trainCache = FeatureCache.Create(this, inputs, batchSize, logger, cancellationToken);
        using var valCache = valInputs is null ? null : ReferenceEquals(valInputs, inputs) ? null : FeatureCache.Create(this, valInputs, batchSize, logger, cancellationToken);
        FeatureCache? validationCache = ReferenceEquals(valInputs, inputs) ? trainCache : valCache;

        StopTraining = false;
        foreach (Callback callback in all) callback.OnTrainBegin();
        try
        {
            for (int epoch = 0; epoch < epochs && !StopTraining; epoch++)
            {
                foreach (Callback callback in all) callback.OnEpochBegin(epoch);
                int[] order = shuffle ? trainIndex.OrderBy(_ => random.Next()).ToArray() : trainIndex;
                var logs = RunEpoch(inputs, labels, order, batchSize, train: true, trainCache, all, cancellationToken);
                if (valIndex is not null)
                    foreach (var (name, value) in RunEpoch(valInputs!, valLabels!, valIndex, batchSize, train: false, validationCache, [], cancellationToken))
                        logs["val_" + name] = value;
                foreach (Callback callback in all) callback.OnEpochEnd(epoch, logs);
                logger.LogInformation("Epoch {Epoch}/{Epochs}: {Logs}", epoch + 1, epochs, string.Join(", ", logs.Select(kv => $"{kv.Key}={kv.Value:F4}")));
            }
        }
        finally
        {
            foreach (Callback callback in all) callback.OnTrainEnd();
        }
        return history;
    }

    /// <summary>Loss and metrics on <paramref name="x"/>, <paramref name="y"/>, as Keras's <c>evaluate</c>.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(ModelData x, ModelData y, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        EnsureCompiled("evaluate");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        using BatchSet data = Prepare(x, y, "x", "y");
        using var cache = FeatureCache.Create(this, data.Inputs, batchSize, logger, cancellationToken);
        return RunEpoch(data.Inputs, data.RequireLabels(), Enumerable.Range(0, data.Count).ToArray(), batchSize, train: false, cache, [], cancellationToken);
    }

    /// <summary>
    /// The model's output for <paramref name="x"/> (inference mode, no gradient), batched; a CPU
    /// tensor [examples, ...]. Dispose it, or read it with <c>data&lt;float&gt;()</c>.
    /// </summary>
    /// <exception cref="ArithmeticException">An output is NaN or infinite (weights or inputs with extreme values).</exception>
    public Tensor Predict(ModelData x, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (Outputs.Count != 1) throw new NotSupportedException($"Predict supports models with one output; model '{Name}' has {Outputs.Count}.");
        using BatchSet data = Prepare(x, null, "x", null);
        BatchSource[] inputs = data.Inputs;
        using var noGrad = no_grad();
        // Text is batched by length so recurrent text layers waste no steps on padding; rows go back in order at the end.
        int[] order = TextLengths(inputs[0]) is { } lengths
            ? Enumerable.Range(0, lengths.Length).OrderBy(i => lengths[i]).ToArray()
            : Enumerable.Range(0, inputs[0].Count).ToArray();
        var parts = new List<Tensor>();
        try
        {
            foreach (int[] batch in order.Chunk(batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                Tensor output = Forward(inputs.Select(d => d.Take(batch, CPU)).ToArray(), training: false)[0].ExpectTensor(Name);
                // A NaN prediction is never an answer; say where it came from instead of handing it out.
                if (output.is_floating_point() && !output.isfinite().all().item<bool>())
                    throw new ArithmeticException($"Model '{Name}' produced a non-finite output (NaN or infinity) for example(s) {string.Join(", ", batch.Take(5))}{(batch.Length > 5 ? ", …" : "")}; its weights or inputs hold extreme values.");
                parts.Add(output.cpu().DetachFromDisposeScope());
            }
            if (parts.Count == 0) return empty(0);
            using Tensor sorted = cat(parts, 0);
            var restore = new long[order.Length];
            for (int i = 0; i < order.Length; i++) restore[order[i]] = i;
            using Tensor index = tensor(restore);
            return sorted.index_select(0, index);
        }
        finally
        {
            foreach (Tensor part in parts) part.Dispose();
        }
    }

    private static int[]? TextLengths(BatchSource data) =>
        data.Strings?.Select(s => s.Count(c => c == ' ') + 1).ToArray() ?? data.Tokens?.Select(t => t.Length).ToArray();

    /// <summary>Predictions as a host array [examples, outputs] for a model with a 2-D output.</summary>
    public float[,] PredictArray(ModelData x, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        using Tensor result = Predict(x, batchSize, cancellationToken);
        if (result.dim() != 2) throw new InvalidOperationException($"PredictArray needs a 2-D output; the output has shape [{string.Join(", ", result.shape)}]. Use Predict().");
        var array = new float[result.shape[0], result.shape[1]];
        if (array.Length > 0) Buffer.BlockCopy(result.contiguous().data<float>().ToArray(), 0, array, 0, array.Length * sizeof(float));
        return array;
    }

    private Dictionary<string, double> RunEpoch(BatchSource[] inputs, BatchSource labels, int[] order, int batchSize, bool train,
        FeatureCache? cache, IReadOnlyList<Callback> callbacks, CancellationToken cancellationToken)
    {
        foreach (Metric metric in metrics) metric.Reset();
        double lossSum = 0;
        int seen = 0, batchNumber = 0;
        using var gradMode = train ? null : no_grad();
        foreach (int[] batch in order.Chunk(batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (Callback callback in callbacks) callback.OnBatchBegin(batchNumber);
            using (var scope = NewDisposeScope())
            {
                LayerValue[] batchInputs = cache is null || !cache.CoversInputs ? inputs.Select(d => d.Take(batch, CPU)).ToArray() : new LayerValue[inputs.Length];
                Tensor y = labels.TakeLabels(batch, loss!.LabelType, CPU);
                Tensor predicted = Forward(batchInputs, train, cache?.Replacer(batch, train))[0].ExpectTensor(Name);
                Tensor value = loss.Compute(predicted, y);
                if (train && updater is not null)
                {
                    updater.ZeroGrad();
                    value.backward();
                    updater.Step();
                }
                lossSum += value.item<float>() * batch.Length;
                seen += batch.Length;
                foreach (Metric metric in metrics) metric.Update(predicted.detach(), y);
            }
            var logs = Logs(lossSum / seen);
            foreach (Callback callback in callbacks) callback.OnBatchEnd(batchNumber, logs);
            batchNumber++;
        }
        return Logs(seen == 0 ? double.NaN : lossSum / seen);
    }

    private Dictionary<string, double> Logs(double meanLoss)
    {
        var logs = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = meanLoss };
        foreach (Metric metric in metrics) logs[metric.Name] = metric.Result();
        return logs;
    }

    /// <summary>Checks <paramref name="x"/> against the model's inputs (and <paramref name="y"/> against them) and wraps both for batching.</summary>
    private BatchSet Prepare(ModelData x, ModelData? y, string xName, string? yName)
    {
        ArgumentNullException.ThrowIfNull(x, xName);
        IReadOnlyList<ModelData> parts = x.Parts;
        if (Inputs.Count > 1 && !x.IsMultiInput)
            throw new ArgumentException($"Model '{Name}' has {Inputs.Count} inputs; pass {xName} as a ModelData[] with one value per input (got {x.Form}).", xName);
        if (parts.Count != Inputs.Count) throw new ArgumentException($"Model '{Name}' has {Inputs.Count} inputs but {xName} holds {parts.Count}.", xName);
        if (y is not null && y.IsMultiInput) throw new ArgumentException($"{yName} must be one array of labels, not {y.Form}.", yName);
        var sources = new List<BatchSource>();
        try
        {
            for (int i = 0; i < parts.Count; i++)
            {
                BatchSource source = BatchSource.From(parts[i], xName);
                sources.Add(source);
                KerasTensor input = Inputs[i];
                if ((input.DType == DType.String) != source.IsText)
                    throw new ArgumentException($"Input '{input.Name}' has dtype {input.DType.ToString().ToLowerInvariant()} but {xName} holds {(source.IsText ? "text" : "numbers")} ({parts[i].Form}).", xName);
                if (!source.IsText && input.Rank - 1 != source.ExampleShape.Length)
                    throw new ArgumentException($"Input '{input.Name}' expects examples of shape {KerasTensor.FormatShape(input.Shape.Skip(1).ToArray())}, but {xName} has examples of shape [{string.Join(", ", source.ExampleShape)}] (rank {source.ExampleShape.Length + 1} data for a rank {input.Rank} input).", xName);
                if (source.Count != sources[0].Count)
                    throw new ArgumentException($"All inputs need the same number of examples; input 0 has {sources[0].Count}, input {i} has {source.Count}.", xName);
            }
            BatchSource? labels = null;
            if (y is not null)
            {
                labels = BatchSource.From(y, yName!);
                sources.Add(labels);
                if (labels.IsText) throw new ArgumentException($"{yName} must be numeric labels (float[], int[], float[,] or a Tensor), not text.", yName);
                if (labels.Count != sources[0].Count) throw new ArgumentException($"{yName} has {labels.Count} labels but the inputs have {sources[0].Count} examples.", yName);
            }
            return new BatchSet(sources.Take(parts.Count).ToArray(), labels);
        }
        catch
        {
            foreach (BatchSource source in sources) source.Dispose();
            throw;
        }
    }
}
