using ElmoKeras.Elmo;
using static TorchSharp.torch;

namespace ElmoCli.Embed;

/// <summary>
/// Embeds windows of sentences and hands each sentence's vectors on in input order. Only one window's
/// vectors are held at a time.
/// </summary>
internal sealed class SentenceEmbedder(ElmoModel elmo, EmbedLayers layers, int batchSize, bool stateful, bool tokenMajor)
{
    /// <summary>
    /// Calls <paramref name="write"/> for every sentence in input order with its vectors:
    /// <c>[layers, tokens, width]</c> (or <c>[tokens, layers, width]</c> when token-major) for all layers,
    /// <c>[tokens, width]</c> otherwise.
    /// </summary>
    public long Run(IEnumerable<Sentence> sentences, Action<Sentence, float[]> write, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        long done = 0;
        foreach (SentenceBatcher.Window window in SentenceBatcher.Windows(sentences, batchSize, keepOrder: stateful))
        {
            var vectors = new float[window.Sentences.Length][];
            foreach (int[] batch in window.Batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Embed(window.Sentences, batch, vectors);
            }
            for (int i = 0; i < vectors.Length; i++) write(window.Sentences[i], vectors[i]);
            done += vectors.Length;
            progress?.Report(done);
        }
        return done;
    }

    private void Embed(Sentence[] window, int[] batch, float[][] vectors)
    {
        using var scope = NewDisposeScope();
        using ElmoEmbeddings embeddings = elmo.Embed(batch.Select(i => (IReadOnlyList<string>)window[i].Tokens).ToArray());
        Tensor selected = layers switch
        {
            EmbedLayers.All => tokenMajor ? embeddings.Layers.transpose(1, 2) : embeddings.Layers,
            EmbedLayers.Top => embeddings.Layers.select(1, elmo.NumLayers - 1),
            _ => embeddings.Layers.mean([1]),
        };
        // [batch, layers, tokens, width] (or [batch, tokens, layers, width], [batch, tokens, width]).
        Tensor host = selected.to_type(ScalarType.Float32).cpu();
        for (int row = 0; row < batch.Length; row++)
        {
            int n = window[batch[row]].Tokens.Length;
            int tokenDim = layers == EmbedLayers.All && !tokenMajor ? 1 : 0;
            vectors[batch[row]] = host[row].narrow(tokenDim, 0, n).contiguous().data<float>().ToArray();
        }
    }
}
