using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// One direction of one ELMo LSTM layer: TensorFlow's <c>LSTMCell(num_proj, cell_clip, proj_clip)</c>
/// with forget bias 1 and no peepholes, run over a right-padded batch. Padded steps output zeros
/// and leave the state untouched, so a row's final state is its state after its last real token.
/// </summary>
/// <remarks>
/// Gates stay in TensorFlow's i, j, f, o order so weights load without reshuffling. The input half
/// of every gate is computed for all steps in one matrix product; only the recurrent half runs
/// step by step. nn.LSTM cannot be used: it has no cell or projection clipping.
/// </remarks>
internal sealed class ProjectedLstm : nn.Module<Tensor, Tensor, LstmState?, (Tensor Output, LstmState Final)>
{
    private readonly int cellSize;
    private readonly int projectionSize;
    private readonly float? cellClip;
    private readonly float? projectionClip;
    private readonly Parameter inputWeight;
    private readonly Parameter recurrentWeight;
    private readonly Parameter bias;
    private readonly Parameter projectionWeight;

    public ProjectedLstm(int inputSize, LstmOptions options) : base("lstm")
    {
        cellSize = options.Dim;
        projectionSize = options.ProjectionDim;
        cellClip = options.CellClip;
        projectionClip = options.ProjectionClip;
        inputWeight = new Parameter(empty(4 * cellSize, inputSize));
        recurrentWeight = new Parameter(empty(4 * cellSize, projectionSize));
        bias = new Parameter(zeros(4 * cellSize));
        projectionWeight = new Parameter(empty(projectionSize, cellSize));
        foreach (Parameter p in new[] { inputWeight, recurrentWeight, projectionWeight })
            nn.init.xavier_uniform_(p);
        RegisterComponents();
    }

    /// <summary>[4C, input]: the x rows of TF's W_0, transposed.</summary>
    public Parameter InputWeight => inputWeight;
    /// <summary>[4C, P]: the m rows of TF's W_0, transposed.</summary>
    public Parameter RecurrentWeight => recurrentWeight;
    /// <summary>[4C]: TF's B, without the forget bias of 1 (added at run time, as TF does).</summary>
    public Parameter Bias => bias;
    /// <summary>[P, C]: TF's W_P_0, transposed.</summary>
    public Parameter ProjectionWeight => projectionWeight;

    public int CellSize => cellSize;
    public int ProjectionSize => projectionSize;

    /// <param name="input">[B, T, input] right-padded.</param>
    /// <param name="mask">[B, T] bool, true on real steps.</param>
    /// <param name="initial">Starting state, or null for zeros.</param>
    public override (Tensor Output, LstmState Final) forward(Tensor input, Tensor mask, LstmState? initial)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], steps = input.shape[1];
        Tensor c = initial?.Cell ?? zeros(batch, cellSize, dtype: input.dtype, device: input.device);
        Tensor m = initial?.Hidden ?? zeros(batch, projectionSize, dtype: input.dtype, device: input.device);

        using Tensor forgetOffset = zeros(4 * cellSize, dtype: bias.dtype, device: bias.device);
        forgetOffset.narrow(0, 2 * cellSize, cellSize).fill_(1.0f);
        Tensor gatesFromInput = nn.functional.linear(input, inputWeight, bias + forgetOffset); // [B, T, 4C]
        Tensor recurrentT = recurrentWeight.t();
        Tensor projectionT = projectionWeight.t();
        Tensor stepMask = mask.unsqueeze(2); // [B, T, 1]
        Tensor stepWeight = stepMask.to_type(input.dtype);

        var outputs = new Tensor[steps];
        for (long t = 0; t < steps; t++)
        {
            using var stepScope = NewDisposeScope();
            Tensor gates = addmm(gatesFromInput.select(1, t), m, recurrentT, beta: 1, alpha: 1);
            Tensor[] g = gates.chunk(4, 1);
            Tensor newC = g[2].sigmoid() * c + g[0].sigmoid() * g[1].tanh();
            if (cellClip is float cc) newC = newC.clamp(-cc, cc);
            Tensor newM = (g[3].sigmoid() * newC.tanh()).mm(projectionT);
            if (projectionClip is float pc) newM = newM.clamp(-pc, pc);
            Tensor real = stepMask.select(1, t);
            c = where(real, newC, c).MoveToOuterDisposeScope();
            m = where(real, newM, m).MoveToOuterDisposeScope();
            outputs[t] = (newM * stepWeight.select(1, t)).MoveToOuterDisposeScope();
        }
        if (steps == 0)
        {
            // Never hand the caller's initial state back as the final one: both get disposed.
            c = c.clone();
            m = m.clone();
        }
        Tensor output = steps > 0 ? stack(outputs, 1) : zeros(batch, 0, projectionSize, dtype: input.dtype, device: input.device);
        return (output.MoveToOuterDisposeScope(), new LstmState(c.MoveToOuterDisposeScope(), m.MoveToOuterDisposeScope()));
    }
}

/// <summary>The state of one LSTM direction and layer: cell c [B, C] and projected output m [B, P].</summary>
internal sealed record LstmState(Tensor Cell, Tensor Hidden) : IDisposable
{
    public void Dispose()
    {
        Cell.Dispose();
        Hidden.Dispose();
    }
}
