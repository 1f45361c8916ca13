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
/// <see cref="RunTogether"/> runs several LSTMs of one shape (a layer's two directions) as one
/// recurrence. nn.LSTM cannot be used: it has no cell or projection clipping.
/// </remarks>
internal sealed class ProjectedLstm : nn.Module<Tensor, int[], LstmState?, (Tensor Output, LstmState Final)>
{
    private readonly int inputSize;
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
        this.inputSize = inputSize;
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
    public override (Tensor Output, LstmState Final) forward(Tensor input, int[] lengths, LstmState? initial) =>
        RunTogether([this], [input], lengths, [initial])[0];

    /// <summary>
    /// Runs <paramref name="lstms"/>[k] over <paramref name="inputs"/>[k] for every k, as one
    /// recurrence: rows of the same lengths run in the same steps, so the LSTMs share the step loop,
    /// their products run batched ([K, 4C, P]·[K, P, rows]) and their gate math as single operations
    /// over [K, 4C, rows]. A layer's two directions together take half the operations, and each gate
    /// operation covers twice the values: libtorch splits element-wise work over threads only above
    /// 32,768 values, which one direction's [1024, rows] gate stays under up to 32 rows, so alone
    /// its gate math ran on one of the two threads (measured, a step of both directions at 32 rows:
    /// 804 µs together against 882-901 µs one after the other). The results are each LSTM's own.
    /// </summary>
    /// <param name="lstms">LSTMs of one shape, clipping and weight type, with the same tuning settings.</param>
    /// <param name="inputs">Each LSTM's input [T, B, input], all of one shape, rows sorted by length.</param>
    /// <param name="lengths">Steps per row, non-increasing, shared by all inputs.</param>
    /// <param name="initial">Each LSTM's starting state, or null (or a null entry) for zeros.</param>
    /// <returns>Each LSTM's outputs [T, B, P] and final state, in the order of <paramref name="lstms"/>.</returns>
    internal static (Tensor Output, LstmState Final)[] RunTogether(IReadOnlyList<ProjectedLstm> lstms, IReadOnlyList<Tensor> inputs, int[] lengths, IReadOnlyList<LstmState?>? initial)
    {
        CheckRunsTogether(lstms, inputs, initial);
        ProjectedLstm first = lstms[0];
        // A lone sentence's products are matrix-vector products, which libtorch's CPU bmm ran far
        // slower than mm (docs/performance.md, "Both directions in one recurrence"): one at a time.
        if (lstms.Count > 1 && inputs[0].shape[1] == 1)
            return lstms.Select((lstm, k) => RunTogether([lstm], [inputs[k]], lengths, initial is null ? null : [initial[k]])[0]).ToArray();
        using var scope = NewDisposeScope();
        using var scalars = new StepScalars(first.cellClip, first.projectionClip);
        int count = lstms.Count, cellSize = first.cellSize, projectionSize = first.projectionSize;
        int steps = (int)inputs[0].shape[0], batch = (int)inputs[0].shape[1];
        Device device = inputs[0].device;
        // Weights in bfloat16 (or float16) make the matrix products low-precision with float32
        // accumulation; the gates, cell and outputs stay float32, so only the products round.
        ScalarType weightType = first.recurrentWeight.dtype;
        bool mixed = weightType != ScalarType.Float32;
        // Several LSTMs' tensors are stacked along a leading dimension K (the weights once per call;
        // autograd carries gradients back to each parameter); one LSTM's stay as they are, with plain
        // products and no dimension K (`lead` is where the feature dimension sits).
        int lead = count == 1 ? 0 : 1;
        var (inputWeight, recurrentWeight, projectionWeight, gateBias) = StackedWeights(lstms);

        // The recurrence runs feature-major (state [K, C, rows]): products of the big weights with a
        // thin [P, rows] operand run about 30% faster than thin-times-big on CPU BLAS, and the gate
        // chunks become contiguous row blocks.
        // The state has `width` columns: the rows, then zero columns up to the alignment. Columns
        // past the rows still running carry junk that never reaches an output or a final state.
        int width = first.ComputedColumns(batch, batch, device.type);
        Tensor input = Stacked(inputs);                                                                 // [K, T, B, input]
        if (width > batch) input = nn.functional.pad(input, [0, 0, 0, width - batch]);
        Tensor c = InitialState(initial, count, s => s.Cell, cellSize, width, device);
        Tensor m = InitialState(initial, count, s => s.Hidden, projectionSize, width, device);

        int chunkSteps = first.InputChunkSteps(width);
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
                finishedCells.Add(c.narrow(lead + 1, active, running - active));
                finishedHidden.Add(m.narrow(lead + 1, active, running - active));
                computed = first.ComputedColumns(active, batch, device.type);
                c = c.narrow(lead + 1, 0, computed);
                m = m.narrow(lead + 1, 0, computed);
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
                chunkGates = InputGates(inputWeight, input.narrow(lead, t, chunk).narrow(lead + 1, 0, computed), gateBias, weightType);
                // One view per step, made by a single op: slicing step by step would make backward
                // build a full chunk-size gradient for every step.
                long[] chunkShape = count == 1 ? [4 * cellSize, chunk, computed] : [count, 4 * cellSize, chunk, computed];
                stepGates = chunkGates.view(chunkShape).unbind(lead + 1);
            }
            Tensor previousC = c;
            using (NewDisposeScope())
            {
                // Gate temporaries die with this scope: kept for all steps they would cost gigabytes.
                Tensor stepGate = stepGates[t % chunkSteps].narrow(lead + 1, 0, computed);
                Tensor gates = mixed                                                                            // [K, 4C, rows]
                    ? stepGate.add(Products(recurrentWeight, m.to_type(weightType)).to_type(ScalarType.Float32), scalars.One)
                    : PlusProducts(stepGate, recurrentWeight, m);
                var (newC, newM) = inference
                    ? StepInPlace(gates, c, projectionWeight, lead, cellSize, scalars)
                    : Step(gates, c, projectionWeight, lead, scalars);
                c = newC.MoveToOuterDisposeScope();
                m = newM.MoveToOuterDisposeScope();
            }
            // m lives on in the outputs; the previous c only in autograd's graph, which holds its own reference.
            previousC.Dispose();
            spanOutputs.Add(computed == running ? m : m.narrow(lead + 1, 0, running));
        }
        if (spanOutputs.Count > 0) spans.Add(PadRows(stack(spanOutputs), batch));
        Tensor output = spans.Count switch                                                                  // [T, K, P, B]
        {
            0 => zeros(count == 1 ? [0, projectionSize, batch] : [0, count, projectionSize, batch], device: device),
            1 => spans[0],
            _ => cat(spans, 0),
        };

        // Rows ended in decreasing blocks; put them back in row order behind the still-running ones.
        finishedCells.Reverse();
        finishedHidden.Reverse();
        Tensor finalC = cat([c.narrow(lead + 1, 0, running), .. finishedCells], lead + 1);                  // [K, C, B]
        Tensor finalM = cat([m.narrow(lead + 1, 0, running), .. finishedHidden], lead + 1);                 // [K, P, B]
        var results = new (Tensor Output, LstmState Final)[count];
        for (int k = 0; k < count; k++)
        {
            Tensor kOutput = count == 1 ? output : output.select(1, k);                                 // [T, P, B]
            Tensor kCell = count == 1 ? finalC : finalC.select(0, k), kHidden = count == 1 ? finalM : finalM.select(0, k);
            results[k] = (kOutput.transpose(1, 2).contiguous().MoveToOuterDisposeScope(),
                new LstmState(kCell.t().contiguous().MoveToOuterDisposeScope(), kHidden.t().contiguous().MoveToOuterDisposeScope()));
        }
        return results;
    }

    private static void CheckRunsTogether(IReadOnlyList<ProjectedLstm> lstms, IReadOnlyList<Tensor> inputs, IReadOnlyList<LstmState?>? initial)
    {
        if (lstms.Count == 0) throw new ArgumentException("No LSTM to run.", nameof(lstms));
        if (inputs.Count != lstms.Count) throw new ArgumentException($"{lstms.Count} LSTMs need {lstms.Count} inputs, got {inputs.Count}.", nameof(inputs));
        if (initial is not null && initial.Count != lstms.Count) throw new ArgumentException($"{lstms.Count} LSTMs need {lstms.Count} initial states (or none), got {initial.Count}.", nameof(initial));
        ProjectedLstm first = lstms[0];
        foreach (ProjectedLstm other in lstms.Skip(1))
        {
            bool sameShape = other.inputSize == first.inputSize && other.cellSize == first.cellSize && other.projectionSize == first.projectionSize
                && other.cellClip == first.cellClip && other.projectionClip == first.projectionClip && other.recurrentWeight.dtype == first.recurrentWeight.dtype;
            bool sameTuning = other.RowAlignment == first.RowAlignment && other.InputChunkBytes == first.InputChunkBytes && other.InputChunkMinColumns == first.InputChunkMinColumns;
            if (!sameShape || !sameTuning)
                throw new ArgumentException("LSTMs run together must have one shape, clipping, weight type and tuning.", nameof(lstms));
        }
        foreach (Tensor input in inputs.Skip(1))
        {
            if (!input.shape.SequenceEqual(inputs[0].shape))
                throw new ArgumentException($"Inputs run together must have one shape: [{string.Join(", ", inputs[0].shape)}] and [{string.Join(", ", input.shape)}].", nameof(inputs));
        }
    }

    /// <summary>
    /// The weights <see cref="RunTogether"/> runs on: input [K, 4C, input], recurrent [K, 4C, P],
    /// projection [K, P, C] and gate bias [K, 4C, 1] (one LSTM's without the dimension K).
    /// </summary>
    internal static (Tensor Input, Tensor Recurrent, Tensor Projection, Tensor GateBias) StackedWeights(IReadOnlyList<ProjectedLstm> lstms) =>
        (Stacked(lstms.Select(l => (Tensor)l.inputWeight)), Stacked(lstms.Select(l => (Tensor)l.recurrentWeight)),
         Stacked(lstms.Select(l => (Tensor)l.projectionWeight)), Stacked(lstms.Select(l => l.GateBias())));

    /// <summary>Tensors stacked along a new first dimension; one tensor stays as it is.</summary>
    private static Tensor Stacked(IEnumerable<Tensor> tensors)
    {
        Tensor[] all = tensors.ToArray();
        return all.Length == 1 ? all[0] : stack(all);
    }

    /// <summary>The starting cells or outputs as [K, features, width] float32, zero where no state was given.</summary>
    private static Tensor InitialState(IReadOnlyList<LstmState?>? initial, int count, Func<LstmState, Tensor> part, int features, int width, Device device)
    {
        var states = new Tensor[count];
        for (int k = 0; k < count; k++)
        {
            states[k] = initial?[k] is LstmState state
                ? PadColumns(part(state).t().to_type(ScalarType.Float32), width)
                : zeros(features, width, device: device);
        }
        return Stacked(states).contiguous();
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
    /// The input half of the gates for a block of steps [K, steps, rows, input] of LSTMs whose input
    /// weights are stacked in <paramref name="inputWeight"/> [K, 4C, input]: [K, 4C, steps·rows],
    /// feature-major (so no transpose copy is needed), bias and forget offset included, float32.
    /// One LSTM's come without the dimension K.
    /// </summary>
    internal static Tensor InputGates(Tensor inputWeight, Tensor input, Tensor gateBias, ScalarType weightType)
    {
        long columns = input.shape[^3] * input.shape[^2], features = input.shape[^1];
        Tensor x = input.dim() == 3
            ? input.to_type(weightType).reshape(columns, features).t()
            : input.to_type(weightType).reshape(input.shape[0], columns, features).transpose(1, 2);
        Tensor gates = PlusProducts(gateBias, inputWeight, x);
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

    /// <summary>One step's cells and projected outputs from the gate pre-activations [K, 4C, rows] (TF order i, j, f, o).</summary>
    private static (Tensor Cell, Tensor Hidden) Step(Tensor gates, Tensor c, Tensor projectionWeight, int lead, StepScalars scalars)
    {
        Tensor[] g = gates.chunk(4, lead);
        Tensor newC = (g[2].sigmoid() * c).add(g[0].sigmoid() * g[1].tanh(), scalars.One);
        if (scalars.CellClip is var (low, high)) newC = newC.clamp(low, high);
        Tensor newM = Project(projectionWeight, g[3].sigmoid() * newC.tanh());                             // [K, P, rows]
        if (scalars.ProjectionClip is var (pLow, pHigh)) newM = newM.clamp(pLow, pHigh);
        return (newC, newM);
    }

    /// <summary><see cref="Step"/> without autograd: the same math, written into the gates and a copy of the cells.</summary>
    private static (Tensor Cell, Tensor Hidden) StepInPlace(Tensor gates, Tensor c, Tensor projectionWeight, int lead, int cellSize, StepScalars scalars)
    {
        // Each gate is a block of rows of the fresh [K, 4C, rows] product, so these are cheap views.
        Tensor i = gates.narrow(lead, 0, cellSize).sigmoid_();
        Tensor j = gates.narrow(lead, cellSize, cellSize).tanh_();
        Tensor f = gates.narrow(lead, 2 * cellSize, cellSize).sigmoid_();
        Tensor o = gates.narrow(lead, 3 * cellSize, cellSize).sigmoid_();
        // c is still referenced by the rows that have finished (their final state), so it is not overwritten.
        Tensor newC = f.mul_(c).addcmul_(i, j, scalars.One);
        if (scalars.CellClip is var (low, high)) newC.clamp_(low, high);
        Tensor newM = Project(projectionWeight, o.mul_(newC.tanh()));                                      // [K, P, rows]
        if (scalars.ProjectionClip is var (pLow, pHigh)) newM.clamp_(pLow, pHigh);
        return (newC, newM);
    }

    /// <summary>The projections P·h [K, P, rows] in the weights' number type, returned as float32.</summary>
    private static Tensor Project(Tensor projectionWeight, Tensor h) =>
        projectionWeight.dtype == ScalarType.Float32 ? Products(projectionWeight, h) : Products(projectionWeight, h.to_type(projectionWeight.dtype)).to_type(ScalarType.Float32);

    /// <summary><paramref name="input"/> + <paramref name="weights"/>·<paramref name="x"/>: batched over K for stacked [K, ...] operands, plain for one LSTM's.</summary>
    private static Tensor PlusProducts(Tensor input, Tensor weights, Tensor x) =>
        weights.dim() == 2 ? addmm(input, weights, x, beta: 1, alpha: 1) : input.PlusBatchedProduct(weights, x);

    /// <summary><paramref name="weights"/>·<paramref name="x"/>: batched over K for stacked [K, ...] operands, plain for one LSTM's.</summary>
    private static Tensor Products(Tensor weights, Tensor x) => weights.dim() == 2 ? weights.mm(x) : weights.bmm(x);

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

    /// <summary>Pads a span of outputs [steps, (K,) P, rows] with zero rows up to <paramref name="batch"/>.</summary>
    private static Tensor PadRows(Tensor span, int batch)
    {
        long rows = span.shape[^1];
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
