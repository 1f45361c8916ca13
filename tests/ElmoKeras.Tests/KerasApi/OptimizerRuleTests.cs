using ElmoKeras.Optimizers;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.KerasApi;

/// <summary>
/// The optimizers' update rules are written in ElmoKeras (to hold their scalars); they must move
/// parameters exactly as TorchSharp's optimizers do, step after step.
/// </summary>
public class OptimizerRuleTests
{
    public static TheoryData<string> Rules => ["adam", "adamw", "sgd", "sgd-momentum", "rmsprop"];

    [Theory]
    [MemberData(nameof(Rules))]
    public void UpdatesMatchTorchSharpsOptimizerStepByStep(string rule)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(42);
        Parameter[] ours = [new Parameter(randn([3, 4], generator: generator)), new Parameter(randn([5], generator: generator))];
        Parameter[] theirs = [.. ours.Select(p => new Parameter(p.detach().clone()))];
        using ParameterUpdater updater = rule switch
        {
            "adam" => new Adam(0.01).Create(ours),
            "adamw" => new AdamW(0.01, weightDecay: 0.1).Create(ours),
            "sgd" => new Sgd(0.1).Create(ours),
            "sgd-momentum" => new Sgd(0.1, momentum: 0.9).Create(ours),
            _ => new RmsProp(0.01).Create(ours),
        };
        using optim.Optimizer reference = rule switch
        {
            "adam" => optim.Adam(theirs, 0.01, 0.9, 0.999, 1e-7),
            "adamw" => optim.AdamW(theirs, 0.01, 0.9, 0.999, 1e-7, 0.1),
            "sgd" => optim.SGD(theirs, 0.1),
            "sgd-momentum" => optim.SGD(theirs, 0.1, 0.9),
            _ => optim.RMSProp(theirs, 0.01, 0.9, 1e-7),
        };

        for (int step = 0; step < 6; step++)
        {
            Tensor[] gradients = [.. ours.Select(p => randn(p.shape, generator: generator))];
            // The second parameter has no gradient for the first two steps: both must skip it.
            int used = step < 2 ? 1 : 2;
            updater.ZeroGrad();
            reference.zero_grad();
            Backward(ours, gradients, used);
            Backward(theirs, gradients, used);
            updater.Step();
            reference.step();
            for (int k = 0; k < ours.Length; k++)
                Assert.Equal(theirs[k].data<float>().ToArray(), ours[k].data<float>().ToArray());
        }
        Assert.NotEqual(randn([3, 4], generator: new Generator(42)).data<float>().ToArray(), ours[0].data<float>().ToArray());
    }

    /// <summary>Gradient of Σ p·g is g.</summary>
    private static void Backward(Parameter[] parameters, Tensor[] gradients, int used)
    {
        Tensor loss = (parameters[0] * gradients[0]).sum();
        for (int k = 1; k < used; k++) loss = loss + (parameters[k] * gradients[k]).sum();
        loss.backward();
    }

    private static Optimizer Make(string rule, double learningRate) => rule switch
    {
        "adam" => new Adam(learningRate),
        "adamw" => new AdamW(learningRate, weightDecay: 0.1),
        "sgd" => new Sgd(learningRate),
        "sgd-momentum" => new Sgd(learningRate, momentum: 0.9),
        _ => new RmsProp(learningRate),
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void ALearningRateScaleActsAsThatParametersOwnLearningRate(string rule)
    {
        using var scope = NewDisposeScope();
        const double rate = 0.01;
        var generator = new Generator(7);
        Parameter[] scaled = [new Parameter(randn([3, 4], generator: generator)), new Parameter(randn([5], generator: generator)), new Parameter(randn([2], generator: generator))];
        float[] frozenStart = scaled[2].data<float>().ToArray();
        // The same first two parameters, each under an optimizer of its own at the scaled rate.
        Parameter[] alone = [.. scaled.Take(2).Select(p => new Parameter(p.detach().clone()))];
        using ParameterUpdater updater = Make(rule, rate).Create(scaled, [1, 0.25, 0]);
        using ParameterUpdater full = Make(rule, rate).Create([alone[0]]);
        using ParameterUpdater quarter = Make(rule, rate * 0.25).Create([alone[1]]);
        for (int step = 0; step < 4; step++)
        {
            Tensor[] gradients = [.. scaled.Select(p => randn(p.shape, generator: generator))];
            updater.ZeroGrad();
            full.ZeroGrad();
            quarter.ZeroGrad();
            Backward(scaled, gradients, 3);
            Backward(alone, gradients, 2);
            updater.Step();
            full.Step();
            quarter.Step();
            Assert.Equal(alone[0].data<float>().ToArray(), scaled[0].data<float>().ToArray());
            Assert.Equal(alone[1].data<float>().ToArray(), scaled[1].data<float>().ToArray());
        }
        Assert.Equal(frozenStart, scaled[2].data<float>().ToArray());
    }

    [Fact]
    public void BadLearningRateScalesAreRefused()
    {
        using var p = new Parameter(zeros(2));
        Assert.Throws<ArgumentException>(() => new Adam().Create([p], [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam().Create([p], [-0.5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd().Create([p], [double.NaN]));
    }
}
