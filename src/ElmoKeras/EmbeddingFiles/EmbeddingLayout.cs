namespace ElmoKeras.EmbeddingFiles;

/// <summary>How an embedding file lays out its sentences.</summary>
public enum EmbeddingLayout
{
    /// <summary>AllenNLP's layout: one dataset per sentence, named by its line index (or its text).</summary>
    PerSentence,

    /// <summary>One chunked dataset of every token, an <c>offsets</c> dataset and attributes naming how it was made.</summary>
    Flat,
}
