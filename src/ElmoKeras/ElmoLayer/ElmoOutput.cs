namespace ElmoKeras.ElmoLayer;

/// <summary>Which output of the ELMo module a layer returns; the names of TF Hub's ELMo outputs.</summary>
public enum ElmoOutput
{
    /// <summary><c>default</c>: the mixed layers mean-pooled over real tokens, [batch, 2P] (1024 for the original ELMo).</summary>
    Default,
    /// <summary><c>elmo</c>: the scalar mix of all layers per token, [batch, tokens, 2P], with a mask.</summary>
    Elmo,
    /// <summary><c>word_emb</c>: the context-independent token embedding, [batch, tokens, P].</summary>
    WordEmb,
    /// <summary><c>lstm_outputs1</c>: the first LSTM layer, [batch, tokens, 2P].</summary>
    LstmOutputs1,
    /// <summary><c>lstm_outputs2</c>: the second LSTM layer, [batch, tokens, 2P].</summary>
    LstmOutputs2,
}
