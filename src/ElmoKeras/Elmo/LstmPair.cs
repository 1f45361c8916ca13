using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Elmo;

/// <summary>
/// The forward and backward LSTM of one bi-LM layer run as one recurrence, without autograd: every
/// step's recurrent product, gate math and projection covers both directions in one batched
/// operation instead of one per direction. Same math as <see cref="ProjectedLstm"/>.
/// </summary>
/// <remarks>
/// At the batch sizes a server sees (32 rows or fewer) a step's operations are small, and most of
/// what each costs does not grow with its size: libtorch's dispatch, handing the work to the
/// intra-op threads and back, the managed tensor objects. Half as many operations per step is what
/// a small batch gains. The backward direction reads each row reversed within its own length, so
/// both directions have the same rows running at every step and can share one loop. Training keeps
/// the per-direction path, whose backward pass autograd already batches well.
/// </remarks>
internal static class LstmPair
{
    /// <summary>Whether <see cref="Run"/> applies: no autograd, and two LSTMs of the same shape, clipping, number type and device.</summary>
    public static bool Applies(ProjectedLstm forward, ProjectedLstm backward) =>
        !is_grad_enabled()
        && forward.CellSize == backward.CellSize && forward.ProjectionSize == backward.ProjectionSize
        && forward.CellClip == backward.CellClip && forward.ProjectionClip == backward.ProjectionClip
        && forward.InputWeight.shape[1] == backward.InputWeight.shape[1]
        && forward.InputWeight.dtype == backward.InputWeight.dtype && forward.InputWeight.dtype == forward.RecurrentWeight.dtype
        && forward.RecurrentWeight.dtype == backward.RecurrentWeight.dtype
        && forward.ProjectionWeight.dtype == backward.ProjectionWeight.dtype
        && forward.InputWeight.device_type == backward.InputWeight.device_type && forward.InputWeight.device_index == backward.InputWeight.device_index;

    /// <summary>Both directions over inputs [T, B, input] of the same rows, sorted by length (longest first).</summary>
    /// <returns>Per direction (forward, backward): outputs [T, B, P], zero past each row's length, and the final state.</returns>
    public static (Tensor Output, LstmState Final)[] Run(
        ProjectedLstm forward, ProjectedLstm backward, Tensor forwardInput, Tensor backwardInput, int[] lengths,
        LstmState? forwardInitial, LstmState? backwardInitial)
    {
        if (!Applies(forward, backward)) throw new InvalidOperationException("LstmPair runs two matching LSTMs without autograd only.");
        using var scope = NewDisposeScope();
        using var scalars = new StepScalars(forward.CellClip, forward.ProjectionClip);
        int steps = (int)forwardInput.shape[0], batch = (int)forwardInput.shape[1];
        int cellSize = forward.CellSize, projectionSize = forward.ProjectionSize;
        ScalarType weightType = forward.RecurrentWeight.dtype, projectionType = forward.ProjectionWeight.dtype;
        Device device = forwardInput.device;

        // Direction is the leading (batch) dimension of every product: [2, 4C, input], [2, 4C, P], [2, P, C].
        // The gates' rows go from TF's order i, j, f, o to i, f, o, j: the three sigmoid gates become
        // one block, so a step runs one sigmoid and one tanh over them instead of four activations.
        Tensor order = cat([arange(0, cellSize, device: device), arange(2 * cellSize, 4 * cellSize, device: device), arange(cellSize, 2 * cellSize, device: device)]);
        Tensor inputWeight = stack([forward.InputWeight, backward.InputWeight]).index_select(1, order);
        Tensor recurrentWeight = stack([forward.RecurrentWeight, backward.RecurrentWeight]).index_select(1, order);
        Tensor projectionWeight = stack([forward.ProjectionWeight, backward.ProjectionWeight]);
        Tensor gateBias = stack([forward.GateBias(), backward.GateBias()]).index_select(1, order);      // [2, 4C, 1]
        Tensor input = stack([forwardInput, backwardInput]);                                              // [2, T, B, input]
        if ((forwardInitial is null) != (backwardInitial is null))
            throw new ArgumentException("Both directions start from a given state, or both from zeros.");
        // Feature-major state [2, C, rows], as in ProjectedLstm.
        Tensor c = forwardInitial is null || backwardInitial is null
            ? zeros(2, cellSize, batch, device: device)
            : stack([forwardInitial.Cell.t(), backwardInitial.Cell.t()]).to_type(ScalarType.Float32).contiguous();
        Tensor m = forwardInitial is null || backwardInitial is null
            ? zeros(2, projectionSize, batch, device: device)
            : stack([forwardInitial.Hidden.t(), backwardInitial.Hidden.t()]).to_type(ScalarType.Float32).contiguous();

        int chunkSteps = forward.InputChunkSteps(batch, directions: 2);
        Tensor? chunkGates = null;
        Tensor[] stepGates = [];
        var finishedCells = new List<Tensor>();
        var finishedHidden = new List<Tensor>();
        var spans = new List<Tensor>();
        var spanOutputs = new List<Tensor>();
        int running = batch;
        for (int t = 0; t < steps; t++)
        {
            int active = ProjectedLstm.ActiveRows(lengths, t, running);
            if (active < running)
            {
                finishedCells.Add(c.narrow(2, active, running - active));
                finishedHidden.Add(m.narrow(2, active, running - active));
                c = c.narrow(2, 0, active);
                m = m.narrow(2, 0, active);
                if (spanOutputs.Count > 0) spans.Add(ProjectedLstm.PadRows(stack(spanOutputs), batch));
                spanOutputs.Clear();
                running = active;
            }
            if (t % chunkSteps == 0)
            {
                foreach (Tensor view in stepGates) view.Dispose();
                chunkGates?.Dispose();
                int chunk = Math.Min(chunkSteps, steps - t);
                chunkGates = InputGates(input.narrow(1, t, chunk).narrow(2, 0, running), inputWeight, gateBias, weightType);
                stepGates = chunkGates.view(2, 4 * cellSize, chunk, running).unbind(2);                  // [2, 4C, running] each
            }
            Tensor previousC = c;
            using (NewDisposeScope())
            {
                Tensor stepInput = stepGates[t % chunkSteps].narrow(2, 0, running);
                // TorchSharp 0.107 binds baddbmm as batch1.baddbmm(batch2, input) = input + batch1·batch2
                // (torch.baddbmm(input, b1, b2) passes them on in that order too, so it is wrong); LstmPairTests pins this.
                Tensor gates = weightType == ScalarType.Float32                                              // [2, 4C, rows]
                    ? recurrentWeight.baddbmm(m, stepInput)
                    : stepInput.add(recurrentWeight.bmm(m.to_type(weightType)).to_type(ScalarType.Float32), scalars.One);
                Tensor[] sigmoidAndTanh = gates.split([3L * cellSize, cellSize], 1);
                Tensor j = sigmoidAndTanh[1].tanh_();
                Tensor[] ifo = sigmoidAndTanh[0].sigmoid_().chunk(3, 1);
                Tensor i = ifo[0], f = ifo[1], o = ifo[2];
                // c is still referenced by the rows that have finished, so it is not overwritten.
                Tensor newC = f.mul_(c).addcmul_(i, j, scalars.One);
                if (scalars.CellClip is var (low, high)) newC.clamp_(low, high);
                Tensor h = o.mul_(newC.tanh());
                Tensor newM = projectionType == ScalarType.Float32
                    ? projectionWeight.bmm(h)
                    : projectionWeight.bmm(h.to_type(projectionType)).to_type(ScalarType.Float32);         // [2, P, rows]
                if (scalars.ProjectionClip is var (pLow, pHigh)) newM.clamp_(pLow, pHigh);
                c = newC.MoveToOuterDisposeScope();
                m = newM.MoveToOuterDisposeScope();
            }
            previousC.Dispose();
            spanOutputs.Add(m);
        }
        if (spanOutputs.Count > 0) spans.Add(ProjectedLstm.PadRows(stack(spanOutputs), batch));
        Tensor output = spans.Count switch                                                                  // [T, 2, P, B]
        {
            0 => zeros(0, 2, projectionSize, batch, device: device),
            1 => spans[0],
            _ => cat(spans, 0),
        };
        finishedCells.Reverse();
        finishedHidden.Reverse();
        Tensor finalC = cat([c, .. finishedCells], 2);                                                      // [2, C, B]
        Tensor finalM = cat([m, .. finishedHidden], 2);
        var results = new (Tensor Output, LstmState Final)[2];
        for (int direction = 0; direction < 2; direction++)
        {
            results[direction] = (
                output.select(1, direction).transpose(1, 2).contiguous().MoveToOuterDisposeScope(),
                new LstmState(finalC[direction].t().contiguous().MoveToOuterDisposeScope(), finalM[direction].t().contiguous().MoveToOuterDisposeScope()));
        }
        return results;
    }

    /// <summary>Both directions' input halves for a block of steps [2, steps, rows, input]: [2, 4C, steps·rows], float32.</summary>
    private static Tensor InputGates(Tensor input, Tensor inputWeight, Tensor gateBias, ScalarType weightType)
    {
        long chunk = input.shape[1], rows = input.shape[2];
        Tensor x = input.to_type(weightType).reshape(2, chunk * rows, input.shape[3]).transpose(1, 2);
        Tensor gates = inputWeight.baddbmm(x, gateBias);                                                 // gateBias + W·x (see Run)
        return weightType == ScalarType.Float32 ? gates : gates.to_type(ScalarType.Float32);
    }
}
