namespace ElmoKeras.ElmoLayer;

/// <summary>Which of an ELMo layer's numbers training may change.</summary>
public enum ElmoTrainable
{
    /// <summary>
    /// TF Hub's <c>trainable=True</c>: only the scalar mix (3 layer weights and γ, 4 numbers) trains;
    /// the bi-LM stays as pretrained and is not counted among the layer's weights.
    /// </summary>
    ScalarMix,
    /// <summary>Fine-tune everything: every bi-LM variable is a trainable weight of the layer.</summary>
    All,
    /// <summary>Nothing trains; the scalar mix stays at its initial values.</summary>
    None,
}
