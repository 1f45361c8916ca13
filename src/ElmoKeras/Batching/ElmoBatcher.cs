using System.Diagnostics;
using ElmoKeras.Elmo;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;
using ElmoKeras.Torch;

namespace ElmoKeras.Batching;

/// <summary>
/// Dynamic batching for a shared <see cref="ElmoModel"/>: many callers submit sentences and await
/// their vectors; one worker thread owns the model and packs whatever waits into batches of at
/// most <see cref="ElmoBatcherOptions.MaxBatchTokens"/> padded tokens. The model is stateless, so a
/// sentence gets the vectors <see cref="ElmoModel.Embed"/> gives it alone, whatever it was batched
/// with (to float rounding: about 1e-6). A submission cancelled while it waits leaves the queue; a
/// submission the queue cannot hold is refused at once with <see cref="ElmoQueueFullException"/>.
/// </summary>
/// <example>
/// <code>
/// using var elmo = ElmoModel.Load("options.json", "weights.hdf5");
/// using var batcher = new ElmoBatcher(elmo);
/// float[][,,] vectors = await batcher.EmbedAsync([["The", "cat"], ["Hello"]], cancellationToken);
/// </code>
/// </example>
/// <remarks>
/// The batcher does not own the model: dispose the batcher first, then the model, and do not use the
/// model elsewhere meanwhile (its token cache is not thread-safe). <see cref="BatchCompleted"/> is
/// raised on the worker thread before the batch's callers resume, so a slow handler delays them and
/// the next batch.
/// </remarks>
public sealed class ElmoBatcher : IDisposable
{
    private readonly ElmoModel model;
    private readonly ElmoBatcherOptions options;
    private readonly ILogger logger;
    private readonly object gate = new();
    private readonly LinkedList<PendingSentence> queue = new();
    private readonly Thread worker;
    private readonly int intraOpThreads;
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool accepting = true;
    private bool disposed;
    private bool busy;
    private int lastBatchSize;
    private long batches, sentences, tokens, dropped, rejected;

    /// <param name="model">A stateless model; the batcher runs it on its own thread, with the libtorch
    /// intra-op thread count (<c>torch.set_num_threads</c>) of the thread that creates the batcher.</param>
    /// <param name="options">Batching and queue limits; null for the defaults.</param>
    /// <param name="logger">Receives a warning when a batch fails or an event handler throws.</param>
    /// <exception cref="ArgumentException">The model carries states between batches, or an option is out of range (all are listed).</exception>
    public ElmoBatcher(ElmoModel model, ElmoBatcherOptions? options = null, ILogger? logger = null)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.options = options ?? new ElmoBatcherOptions();
        if (model.Settings.Stateful)
            throw new ArgumentException("ElmoBatcher needs a stateless model (ElmoModelSettings.Stateful = false): a stateful model's vectors would depend on which sentences shared earlier batches.", nameof(model));
        if (this.options.Errors() is string errors) throw new ArgumentException(errors, nameof(options));
        this.logger = logger ?? NullLogger.Instance;
        // libtorch's intra-op thread count (OpenMP) is a per-thread setting: the worker takes the creator's.
        intraOpThreads = torch.get_num_threads();
        worker = new Thread(Work) { IsBackground = true, Name = "ElmoBatcher" };
        worker.Start();
    }

    /// <summary>The limits in force.</summary>
    public ElmoBatcherOptions Options => options;

    /// <summary>
    /// Raised on the worker thread after every batch has run and before its callers resume: what a
    /// handler records is visible to them once their <c>EmbedAsync</c> completes.
    /// </summary>
    public event EventHandler<ElmoBatchCompletedEventArgs>? BatchCompleted;

    /// <summary>Sentences waiting now.</summary>
    public int QueuedSentences
    {
        get { lock (gate) return queue.Count; }
    }

    /// <summary>Counts since the batcher was created.</summary>
    public ElmoBatcherStatistics Statistics
    {
        get
        {
            lock (gate) return new ElmoBatcherStatistics(batches, sentences, tokens, dropped, rejected, queue.Count);
        }
    }

    /// <summary>Embeds one tokenised sentence: [layers, tokens, width], as <see cref="ElmoEmbeddings.GetSentence"/> gives it.</summary>
    /// <exception cref="ElmoQueueFullException">The queue is full; thrown at once, not through the task.</exception>
    public Task<float[,,]> EmbedAsync(IReadOnlyList<string> sentence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        // Not an async method, so refusals (queue full, draining) throw at once as for several sentences.
        Task<float[][,,]> all = EmbedAsync([sentence], cancellationToken);
        return First(all);

        static async Task<float[,,]> First(Task<float[][,,]> all) => (await all.ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Embeds tokenised sentences; the result has one [layers, tokens, width] array per sentence, in
    /// order. The sentences are queued together or not at all, and may run in different batches.
    /// </summary>
    /// <exception cref="ElmoQueueFullException">The queue cannot hold them all; nothing was queued.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; sentences not yet run left the queue.</exception>
    /// <exception cref="InvalidOperationException">The batcher is draining or disposed and takes no new work.</exception>
    /// <exception cref="ArithmeticException">The model produced a non-finite vector for the batch holding one of them.</exception>
    public Task<float[][,,]> EmbedAsync(IReadOnlyList<IReadOnlyList<string>> sentences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        for (int i = 0; i < sentences.Count; i++)
            if (sentences[i] is null) throw new ArgumentException($"Sentence {i} is null; expected a list of tokens.", nameof(sentences));
        if (sentences.Count == 0) return Task.FromResult(Array.Empty<float[,,]>());
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<float[][,,]>(cancellationToken);

        var request = new PendingRequest(sentences.Count);
        lock (gate)
        {
            if (!accepting)
                throw new InvalidOperationException(disposed ? "The ELMo batcher is disposed." : "The ELMo batcher is draining and takes no new sentences.");
            if (queue.Count + sentences.Count > options.MaxQueuedSentences)
            {
                rejected += sentences.Count;
                throw new ElmoQueueFullException(sentences.Count, queue.Count, options.MaxQueuedSentences);
            }
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < sentences.Count; i++)
                request.Nodes[i] = queue.AddLast(new PendingSentence(request, i, sentences[i].ToArray(), now));
            Monitor.PulseAll(gate);
        }
        if (cancellationToken.CanBeCanceled)
            request.Registration = cancellationToken.Register(() => Cancel(request, cancellationToken));
        return request.Completion.Task;
    }

    /// <summary>
    /// Stops taking new sentences and completes when every queued one has run (the worker then idles
    /// until disposed). For graceful shutdown: in-flight callers get their vectors.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the queue keeps draining).</param>
    public Task DrainAsync(CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            accepting = false;
            Monitor.PulseAll(gate);
            if (queue.Count == 0 && !busy) drained.TrySetResult();
        }
        return drained.Task.WaitAsync(cancellationToken);
    }

    private void Cancel(PendingRequest request, CancellationToken token)
    {
        lock (gate)
        {
            foreach (LinkedListNode<PendingSentence>? node in request.Nodes)
            {
                // A node still in the queue has not run: take it out so no batch spends time on it.
                if (node?.List is null) continue;
                queue.Remove(node);
                dropped++;
            }
            if (queue.Count == 0 && !busy && !accepting) drained.TrySetResult();
        }
        request.Completion.TrySetCanceled(token);
    }

    private void Work()
    {
        torch.set_num_threads(intraOpThreads);
        while (true)
        {
            List<PendingSentence>? batch = NextBatch();
            if (batch is null) return;
            Run(batch);
        }
    }

    /// <summary>
    /// Waits for work and for company (up to MaxWait after the oldest arrival or the end of the last
    /// batch, whichever is later); null when disposed.
    /// </summary>
    private List<PendingSentence>? NextBatch()
    {
        // Callers just answered send again within milliseconds; counting the wait from the oldest
        // arrival alone would start the next batch at once with whoever queued during the last one,
        // and batches would alternate between part of the clients and the rest (11 of 32 measured).
        // Once the expected company is there the batch starts: a lone client never waits.
        long idleSince = Stopwatch.GetTimestamp();
        lock (gate)
        {
            busy = false;
            // The company the next batch can expect: what queued during the last batch, plus as many
            // again as it answered (their callers usually send again at once).
            int expectedCompany = Math.Max(1, queue.Count + lastBatchSize);
            while (true)
            {
                if (disposed) return null;
                if (queue.Count == 0)
                {
                    if (!accepting) drained.TrySetResult();
                    Monitor.Wait(gate);
                    continue;
                }
                // Draining: nobody new is coming, so waiting for company only adds latency.
                if (accepting && queue.Count < expectedCompany && !Select(take: false).Full)
                {
                    TimeSpan waited = Stopwatch.GetElapsedTime(Math.Max(queue.First!.Value.Enqueued, idleSince));
                    if (waited < options.MaxWait)
                    {
                        Monitor.Wait(gate, options.MaxWait - waited);
                        continue;
                    }
                }
                busy = true;
                return Select(take: true).Batch;
            }
        }
    }

    /// <summary>
    /// First come first in: the oldest sentence always, then every later one that keeps the batch
    /// within both limits. Later short sentences may pass a long one that does not fit, but the long
    /// one is next batch's oldest, so nothing waits for ever. Called under the lock.
    /// </summary>
    private (List<PendingSentence> Batch, bool Full) Select(bool take)
    {
        var batch = new List<PendingSentence>();
        int longest = 0;
        bool full = false;
        for (LinkedListNode<PendingSentence>? node = queue.First; node is not null;)
        {
            LinkedListNode<PendingSentence>? next = node.Next;
            int length = Math.Max(1, node.Value.Tokens.Length);
            if (batch.Count > 0 && (batch.Count == options.MaxBatchSize || (long)(batch.Count + 1) * Math.Max(longest, length) > options.MaxBatchTokens))
            {
                full = true;
                if (batch.Count == options.MaxBatchSize) break;
            }
            else
            {
                batch.Add(node.Value);
                longest = Math.Max(longest, length);
                if (take) queue.Remove(node);
            }
            node = next;
        }
        return (batch, full);
    }

    private void Run(List<PendingSentence> batch)
    {
        var clock = Stopwatch.StartNew();
        long batchTokens = batch.Sum(s => (long)s.Tokens.Length);
        long padded = (long)batch.Count * batch.Max(s => s.Tokens.Length);
        float[][,,]? vectors = null;
        Exception? failure = null;
        try
        {
            vectors = Embed(batch);
        }
        catch (Exception ex)
        {
            // The model failed for this batch only (e.g. a non-finite vector); the next batch may be fine.
            failure = ex;
            logger.LogWarning(ex, "An ELMo batch of {Sentences} sentences failed", batch.Count);
        }
        int queued;
        // Counted before the callers resume, so what they read afterwards includes their batch.
        lock (gate)
        {
            batches++;
            if (vectors is not null)
            {
                sentences += batch.Count;
                tokens += batchTokens;
            }
            queued = queue.Count;
            lastBatchSize = batch.Count;
        }
        // Reported before the callers resume, so what a handler records (metrics) already includes
        // their batch when they look.
        bool succeeded = vectors is not null;
        try
        {
            BatchCompleted?.Invoke(this, new ElmoBatchCompletedEventArgs(batch.Count, batchTokens, padded, clock.Elapsed, queued, succeeded));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "An ElmoBatcher.BatchCompleted handler threw; ignored");
        }
        for (int i = 0; i < batch.Count; i++)
        {
            if (vectors is not null) batch[i].Request.Complete(batch[i].Index, vectors[i]);
            else batch[i].Request.Fail(failure!);
        }
    }

    /// <summary>One forward pass; the layers come to the host in one copy, then each sentence's are copied straight into its array.</summary>
    private float[][,,] Embed(List<PendingSentence> batch)
    {
        using ElmoEmbeddings output = model.Embed(batch.Select(s => (IReadOnlyList<string>)s.Tokens).ToArray());
        using var scope = NewDisposeScope();
        Tensor layers = output.Layers.cpu().contiguous();     // [B, L, T, W]
        int numLayers = (int)layers.shape[1], steps = (int)layers.shape[2], width = (int)layers.shape[3];
        ReadOnlySpan<float> all = HostSpans.Floats(layers);
        var result = new float[batch.Count][,,];
        for (int b = 0; b < batch.Count; b++)
        {
            int length = output.Lengths[b], layerValues = length * width;
            var sentence = new float[numLayers, length, width];
            Span<float> target = HostSpans.Of(sentence);
            for (int l = 0; l < numLayers; l++)
                all.Slice((b * numLayers + l) * steps * width, layerValues).CopyTo(target.Slice(l * layerValues));
            result[b] = sentence;
        }
        return result;
    }

    /// <summary>
    /// Stops the worker after its current batch; sentences still queued fail with
    /// <see cref="ObjectDisposedException"/>. Call <see cref="DrainAsync"/> first to let them run.
    /// </summary>
    public void Dispose()
    {
        List<PendingSentence> abandoned;
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            accepting = false;
            abandoned = queue.ToList();
            queue.Clear();
            Monitor.PulseAll(gate);
        }
        var error = new ObjectDisposedException(nameof(ElmoBatcher), "The ELMo batcher was disposed before these sentences ran.");
        foreach (PendingSentence sentence in abandoned) sentence.Request.Fail(error);
        if (Thread.CurrentThread != worker) worker.Join();
        drained.TrySetResult();
    }

    /// <summary>One submission: its sentences complete it together.</summary>
    private sealed class PendingRequest(int count)
    {
        private readonly float[][,,] results = new float[count][,,];
        private int remaining = count;

        public TaskCompletionSource<float[][,,]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<PendingSentence>?[] Nodes { get; } = new LinkedListNode<PendingSentence>?[count];

        public CancellationTokenRegistration Registration { get; set; }

        public void Complete(int index, float[,,] vectors)
        {
            results[index] = vectors;
            if (Interlocked.Decrement(ref remaining) != 0) return;
            Registration.Dispose();
            Completion.TrySetResult(results);
        }

        public void Fail(Exception error)
        {
            Registration.Dispose();
            Completion.TrySetException(error);
        }
    }

    private sealed record PendingSentence(PendingRequest Request, int Index, string[] Tokens, long Enqueued);
}
