using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// One direction of one ELMo LSTM layer: TensorFlow's <c>LSTMCell(num_proj, cell_clip, proj_clip)</c>
/// with forget bias 1 and no peepholes, run over a time-major batch whose rows are sorted by length,
/// longest first. A row stops at its length: later steps neither output (zeros) nor change its
/// state, so its final state is its state after its last real step.
/// </summary>
/// <remarks>
/// Gates stay in TensorFlow's i, j, f, o order so weights load without reshuffling. The input half
/// of every gate is one matrix product per block of steps; only the recurrent half runs step by step,
/// and only over the rows still running (the sort makes them a prefix), on the CPU rounded up to a
/// multiple of <see cref="RowAlignment"/> columns: thin products of other widths are slow (see there).
/// nn.LSTM cannot be used: it has no cell or projection clipping.
/// </remarks>
internal sealed class ProjectedLstm : nn.Module<Tensor, int[], LstmState?, (Tensor Output, LstmState Final)>
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

    /// <param name="input">[T, B, input], time-major, rows sorted by length (longest first).</param>
    /// <param name="lengths">Steps per row, non-increasing.</param>
    /// <param name="initial">Starting state in the same row order, or null for zeros.</param>
    /// <returns>Outputs [T, B, P] (zero past each row's length) and the final state per row.</returns>
    public override (Tensor Output, LstmState Final) forward(Tensor input, int[] lengths, LstmState? initial)
    {
        using var scope = NewDisposeScope();
        using var scalars = new StepScalars(cellClip, projectionClip);
        int steps = (int)input.shape[0], batch = (int)input.shape[1];
        // Weights in bfloat16 (or float16) make the matrix products low-precision with float32
        // accumulation; the gates, cell and outputs stay float32, so only the products round.
        ScalarType weightType = recurrentWeight.dtype;
        bool mixed = weightType != ScalarType.Float32;
        // The recurrence runs feature-major (state [C, rows]): products of the big weights with a
        // thin [P, rows] operand run about 30% faster than thin-times-big on CPU BLAS, and the gate
        // chunks become contiguous row blocks.
        // The state has `width` columns: the rows, then zero columns up to the alignment. Columns
        // past the rows still running carry junk that never reaches an output or a final state.
        int width = ComputedColumns(batch, batch, input.device_type);
        if (width > batch) input = nn.functional.pad(input, [0, 0, 0, width - batch]);
        Tensor c = initial is null ? zeros(cellSize, width, device: input.device) : PadColumns(initial.Cell.t().to_type(ScalarType.Float32), width);
        Tensor m = initial is null ? zeros(projectionSize, width, device: input.device) : PadColumns(initial.Hidden.t().to_type(ScalarType.Float32), width);

        Tensor gateBias = GateBias();
        int chunkSteps = InputChunkSteps(width);
        Tensor? chunkGates = null;
        Tensor[] stepGates = [];

        // Without autograd the gate math can overwrite its temporaries: fewer, larger-grained
        // operations and no allocation per activation (about 40% less element-wise time on CPU).
        bool inference = !is_grad_enabled();
        var finishedCells = new List<Tensor>();
        var finishedHidden = new List<Tensor>();
        var spans = new List<Tensor>();
        var spanOutputs = new List<Tensor>();
        int running = batch, computed = width;
        for (int t = 0; t < steps; t++)
        {
            int active = ActiveRows(lengths, t, running);
            if (active < running)
            {
                // Rows active..running-1 ended at the previous step: keep their final state aside.
                finishedCells.Add(c.narrow(1, active, running - active));
                finishedHidden.Add(m.narrow(1, active, running - active));
                computed = ComputedColumns(active, batch, input.device_type);
                c = c.narrow(1, 0, computed);
                m = m.narrow(1, 0, computed);
                if (spanOutputs.Count > 0) spans.Add(PadRows(stack(spanOutputs), batch));
                spanOutputs.Clear();
                running = active;
            }
            if (t % chunkSteps == 0)
            {
                // A new chunk of input halves, for the rows running now (later steps narrow further).
                // The previous chunk is done: autograd keeps what it needs, so its memory comes back now.
                foreach (Tensor view in stepGates) view.Dispose();
                chunkGates?.Dispose();
                int chunk = Math.Min(chunkSteps, steps - t);
                chunkGates = InputGates(input.narrow(0, t, chunk).narrow(1, 0, computed), gateBias, weightType);
                // One view per step, made by a single op: slicing step by step would make backward
                // build a full chunk-size gradient for every step.
                stepGates = chunkGates.view(4 * cellSize, chunk, computed).unbind(1);
            }
            Tensor previousC = c;
            using (NewDisposeScope())
            {
                // Gate temporaries die with this scope: kept for all steps they would cost gigabytes.
                Tensor gates = mixed                                                                            // [4C, rows]
                    ? stepGates[t % chunkSteps].narrow(1, 0, computed).add(recurrentWeight.mm(m.to_type(weightType)).to_type(ScalarType.Float32), scalars.One)
                    : addmm(stepGates[t % chunkSteps].narrow(1, 0, computed), recurrentWeight, m, beta: 1, alpha: 1);
                var (newC, newM) = inference ? StepInPlace(gates, c, scalars) : Step(gates, c, scalars);
                c = newC.MoveToOuterDisposeScope();
                m = newM.MoveToOuterDisposeScope();
            }
            // m lives on in the outputs; the previous c only in autograd's graph, which holds its own reference.
            previousC.Dispose();
            spanOutputs.Add(computed == running ? m : m.narrow(1, 0, running));
        }
        if (spanOutputs.Count > 0) spans.Add(PadRows(stack(spanOutputs), batch));
        Tensor output = spans.Count switch
        {
            0 => zeros(0, projectionSize, batch, device: input.device),
            1 => spans[0],
            _ => cat(spans, 0),
        };

        // Rows ended in decreasing blocks; put them back in row order behind the still-running ones.
        finishedCells.Reverse();
        finishedHidden.Reverse();
        Tensor finalC = cat([c.narrow(1, 0, running), .. finishedCells], 1).t().contiguous();
        Tensor finalM = cat([m.narrow(1, 0, running), .. finishedHidden], 1).t().contiguous();
        return (output.transpose(1, 2).contiguous().MoveToOuterDisposeScope(),
            new LstmState(finalC.MoveToOuterDisposeScope(), finalM.MoveToOuterDisposeScope()));
    }

    /// <summary>The bias of the gates with TF's forget bias of 1 added: [4C, 1].</summary>
    internal Tensor GateBias()
    {
        using var scope = NewDisposeScope();
        Tensor forgetOffset = zeros(4 * cellSize, dtype: bias.dtype, device: bias.device);
        forgetOffset.narrow(0, 2 * cellSize, cellSize).FillWith(1.0);
        return bias.Plus(forgetOffset).unsqueeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The input half of the gates for a block of steps [steps, rows, input]: [4C, steps·rows],
    /// feature-major (so no transpose copy is needed), bias and forget offset included, float32.
    /// </summary>
    internal Tensor InputGates(Tensor input, Tensor gateBias, ScalarType weightType)
    {
        long chunk = input.shape[0], rows = input.shape[1];
        Tensor gates = addmm(gateBias, inputWeight, input.to_type(weightType).reshape(chunk * rows, input.shape[2]).t(), beta: 1, alpha: 1);
        return weightType == ScalarType.Float32 ? gates : gates.to_type(ScalarType.Float32);
    }

    /// <summary>
    /// Steps whose input halves are computed in one product. One product over the whole batch
    /// would be fastest on paper, but its output (80 MB for 32 rows of 150 tokens in the small
    /// architecture) is fresh memory the kernel must map and zero on every call: measured, that
    /// made the product run at a seventh of the machine's GEMM speed. Blocks of about 4 MB are
    /// reused by the allocator, stay in cache until their steps read them, and skip rows that
    /// have already finished; but a block keeps at least <see cref="InputChunkMinColumns"/>
    /// columns, or big input weights (32 MB in the original architecture) would be read again for
    /// every thin block.
    /// </summary>
    internal int InputChunkSteps(int rows)
    {
        long perStep = 4L * cellSize * Math.Max(1, rows) * sizeof(float);
        long bySize = InputChunkBytes / perStep, byWidth = (InputChunkMinColumns + Math.Max(1, rows) - 1) / Math.Max(1, rows);
        return (int)Math.Clamp(Math.Max(bySize, byWidth), 1, int.MaxValue);
    }

    /// <summary>The size of a block of input halves; tests make it small to cross block boundaries.</summary>
    internal long InputChunkBytes { get; set; } = 4L << 20;

    /// <summary>The fewest columns (steps × rows) of a block; tests set it to 1.</summary>
    internal long InputChunkMinColumns { get; set; } = 256;

    /// <summary>
    /// On the CPU, the recurrence runs over the rows still running rounded up to a multiple of this,
    /// and to at least twice this (at most the batch rounded up; a lone row runs alone). Measured on
    /// this project's AMD EPYC with libtorch's BLAS, 2 threads, the small architecture's
    /// [4096, 128]·[128, rows] product took 533 µs for 2 rows, 295 µs for 8, 328 µs for 30, but 114 µs
    /// for 16, 188 µs for 24 and 195 µs for 32 (one row, a matrix-vector product, 62 µs): thin
    /// products narrower than 16 or of odd widths fall onto slow kernels. Finishing rows leave such
    /// widths in every batch of mixed lengths; a few junk columns cost far less. Multiples of 8
    /// above 16 cost no more than those of 16 in the product and waste less in the gate math
    /// (an unsorted batch of 32 IMDB reviews: LSTMs 401-415 ms against 423-564 ms with multiples of
    /// 16 and 463-466 ms unpadded). Tests set 1 (no padding) to compare.
    /// </summary>
    internal int RowAlignment { get; set; } = 8;

    /// <summary>One step's cell and projected output from its gate pre-activations [4C, rows] (TF order i, j, f, o).</summary>
    private (Tensor Cell, Tensor Hidden) Step(Tensor gates, Tensor c, StepScalars scalars)
    {
        Tensor[] g = gates.chunk(4, 0);
        Tensor newC = (g[2].sigmoid() * c).add(g[0].sigmoid() * g[1].tanh(), scalars.One);
        if (scalars.CellClip is var (low, high)) newC = newC.clamp(low, high);
        Tensor newM = Project(g[3].sigmoid() * newC.tanh());                                               // [P, rows]
        if (scalars.ProjectionClip is var (pLow, pHigh)) newM = newM.clamp(pLow, pHigh);
        return (newC, newM);
    }

    /// <summary><see cref="Step"/> without autograd: the same math, written into the gates and a copy of the cell.</summary>
    private (Tensor Cell, Tensor Hidden) StepInPlace(Tensor gates, Tensor c, StepScalars scalars)
    {
        // Each gate is a contiguous row block of the fresh [4C, rows] product, so these are cheap views.
        Tensor i = gates.narrow(0, 0, cellSize).sigmoid_();
        Tensor j = gates.narrow(0, cellSize, cellSize).tanh_();
        Tensor f = gates.narrow(0, 2 * cellSize, cellSize).sigmoid_();
        Tensor o = gates.narrow(0, 3 * cellSize, cellSize).sigmoid_();
        // c is still referenced by the rows that have finished (their final state), so it is not overwritten.
        Tensor newC = f.mul_(c).addcmul_(i, j, scalars.One);
        if (scalars.CellClip is var (low, high)) newC.clamp_(low, high);
        Tensor newM = Project(o.mul_(newC.tanh()));                                                       // [P, rows]
        if (scalars.ProjectionClip is var (pLow, pHigh)) newM.clamp_(pLow, pHigh);
        return (newC, newM);
    }

    /// <summary>The projection P·h in the weights' number type, returned as float32.</summary>
    private Tensor Project(Tensor h) =>
        projectionWeight.dtype == ScalarType.Float32 ? projectionWeight.mm(h) : projectionWeight.mm(h.to_type(projectionWeight.dtype)).to_type(ScalarType.Float32);

    /// <summary>The columns the recurrence computes while <paramref name="rows"/> rows of a <paramref name="batch"/>-row batch run on <paramref name="device"/>.</summary>
    internal int ComputedColumns(int rows, int batch, DeviceType device)
    {
        int alignment = device == DeviceType.CPU ? RowAlignment : 1;
        return AlignedRows(rows, AlignedRows(batch, int.MaxValue, alignment), alignment);
    }

    /// <summary>The columns computed for <paramref name="rows"/> running rows: a multiple of <paramref name="alignment"/>, at least twice it, at most <paramref name="cap"/>.</summary>
    internal static int AlignedRows(int rows, int cap, int alignment) =>
        rows <= 1 || alignment <= 1 ? rows : Math.Min(cap, Math.Max(2 * alignment, (rows + alignment - 1) / alignment * alignment));

    /// <summary>[features, rows] as a contiguous [features, width] with zero columns after the rows.</summary>
    private static Tensor PadColumns(Tensor state, int width) =>
        (state.shape[1] == width ? state : nn.functional.pad(state, [0, width - (int)state.shape[1]])).contiguous();

    private static int ActiveRows(int[] lengths, int step, int running)
    {
        while (running > 0 && lengths[running - 1] <= step) running--;
        return running;
    }

    /// <summary>Pads a span of outputs [steps, P, rows] with zero rows up to <paramref name="batch"/>.</summary>
    private static Tensor PadRows(Tensor span, int batch)
    {
        long rows = span.shape[2];
        return rows == batch ? span : nn.functional.pad(span, [0, batch - rows]);
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
