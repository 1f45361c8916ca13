using System.Runtime.InteropServices;
using ElmoKeras.Elmo;
using static TorchSharp.torch;

namespace ElmoCli.Embed;

/// <summary>Receives one sentence's vectors; the span is only valid during the call.</summary>
internal delegate void SentenceWriter(Sentence sentence, ReadOnlySpan<float> values);

/// <summary>
/// Embeds windows of sentences and hands each sentence's vectors on in input order. One window's
/// vectors are held at a time, in one buffer reused from window to window: a fresh array per sentence
/// would land on the large-object heap, which the GC lets grow far beyond what is live.
/// </summary>
internal sealed class SentenceEmbedder(ElmoModel elmo, EmbedLayers layers, int batchSize, int? maxBatchTokens, bool stateful, bool tokenMajor)
{
    private float[] buffer = [];

    private int PerToken => layers == EmbedLayers.All ? elmo.NumLayers * elmo.OutputDim : elmo.OutputDim;

    /// <summary>
    /// Calls <paramref name="write"/> for every sentence in input order with its vectors:
    /// <c>[layers, tokens, width]</c> (or <c>[tokens, layers, width]</c> when token-major) for all layers,
    /// <c>[tokens, width]</c> otherwise.
    /// </summary>
    public long Run(IEnumerable<Sentence> sentences, SentenceWriter write, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        long done = 0;
        foreach (SentenceBatcher.Window window in SentenceBatcher.Windows(sentences, batchSize, maxBatchTokens, keepOrder: stateful))
        {
            var starts = new long[window.Sentences.Length + 1];
            for (int i = 0; i < window.Sentences.Length; i++) starts[i + 1] = starts[i] + (long)window.Sentences[i].Tokens.Length * PerToken;
            if (buffer.Length < starts[^1]) buffer = new float[starts[^1]];
            foreach (int[] batch in window.Batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Embed(window.Sentences, batch, starts);
            }
            for (int i = 0; i < window.Sentences.Length; i++)
                write(window.Sentences[i], buffer.AsSpan((int)starts[i], (int)(starts[i + 1] - starts[i])));
            done += window.Sentences.Length;
            progress?.Report(done);
        }
        return done;
    }

    private void Embed(Sentence[] window, int[] batch, long[] starts)
    {
        using var scope = NewDisposeScope();
        using ElmoEmbeddings embeddings = elmo.Embed(batch.Select(i => (IReadOnlyList<string>)window[i].Tokens).ToArray());
        Tensor selected = layers switch
        {
            EmbedLayers.All => tokenMajor ? embeddings.Layers.transpose(1, 2) : embeddings.Layers,
            EmbedLayers.Top => embeddings.Layers.select(1, elmo.NumLayers - 1),
            _ => embeddings.Layers.mean([1]),
        };
        // [batch, layers, tokens, width], or [batch, tokens, layers, width] / [batch, tokens, width]: padded to the longest row.
        Tensor host = selected.to_type(ScalarType.Float32).cpu().contiguous();
        ReadOnlySpan<float> all = MemoryMarshal.Cast<byte, float>(host.bytes);
        int perToken = PerToken, padded = (int)host.shape[layers == EmbedLayers.All && !tokenMajor ? 2 : 1];
        int rowSize = padded * perToken;
        for (int row = 0; row < batch.Length; row++)
        {
            int n = window[batch[row]].Tokens.Length;
            Span<float> target = buffer.AsSpan((int)starts[batch[row]], n * perToken);
            ReadOnlySpan<float> source = all.Slice(row * rowSize, rowSize);
            if (layers == EmbedLayers.All && !tokenMajor)
            {
                // Layer-major: each layer's first n tokens.
                int width = elmo.OutputDim;
                for (int l = 0; l < elmo.NumLayers; l++)
                    source.Slice(l * padded * width, n * width).CopyTo(target.Slice(l * n * width, n * width));
            }
            else
            {
                source[..(n * perToken)].CopyTo(target);
            }
        }
    }
}
