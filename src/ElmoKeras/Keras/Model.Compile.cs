using ElmoKeras.Losses;
using ElmoKeras.Metrics;
using ElmoKeras.Optimizers;

namespace ElmoKeras;

public sealed partial class Model
{
    private Loss? loss;
    private Optimizer? optimizer;
    private List<Metric> metrics = [];
    private ParameterUpdater? updater;
    private bool trainableChangedSinceCompile;

    /// <summary>Whether <c>Compile</c> has been called.</summary>
    public bool IsCompiled => loss is not null;

    /// <summary>Configures training by Keras names: optimizer "adam", "sgd", "adamw" or "rmsprop"; loss
    /// "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy" or "mse";
    /// metrics "accuracy" and "auc".</summary>
    /// <exception cref="ArgumentException">A name is unknown; the message lists the valid ones.</exception>
    public void Compile(string optimizer = "adam", string loss = "binary_crossentropy", IEnumerable<string>? metrics = null, double? learningRate = null)
    {
        Loss lossObject = Loss.Get(loss);
        Compile(Optimizer.Get(optimizer, learningRate), lossObject, (metrics ?? []).Select(m => Metric.Get(m, lossObject)).ToList());
    }

    /// <summary>Configures training with objects, e.g. <c>new Adam(learningRate: 1e-4)</c>.</summary>
    public void Compile(Optimizer optimizer, Loss loss, IEnumerable<Metric>? metrics = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        if (Outputs.Count != 1) throw new NotSupportedException($"Compile/Fit support models with one output; model '{Name}' has {Outputs.Count}.");
        this.optimizer = optimizer;
        this.loss = loss;
        this.metrics = (metrics ?? []).ToList();
        updater?.Dispose();
        var trainable = TrainableWeights;
        updater = trainable.Count > 0 ? optimizer.Create(trainable.Select(w => w.Parameter).ToList(), trainable.Select(w => w.LearningRateScale).ToList()) : null;
        trainableChangedSinceCompile = false;
    }

    private void EnsureCompiled(string verb)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (loss is null) throw new InvalidOperationException($"You must call Compile() before {verb}().");
        if (trainableChangedSinceCompile)
            throw new InvalidOperationException($"A layer's Trainable changed after Compile(); call Compile() again before {verb}() so the optimizer sees the right weights.");
    }
}
