namespace ElmoKeras.Elmo;

/// <summary>
/// The architectures of the ELMo models AllenNLP published, for building random-weight models of
/// the same size (benchmarks, pretraining from scratch). All use the same character CNN.
/// </summary>
public static class ElmoArchitectures
{
    private static readonly CharCnnFilter[] PublishedFilters = [new(1, 32), new(2, 32), new(3, 64), new(4, 128), new(5, 256), new(6, 512), new(7, 1024)];

    /// <summary><c>elmo_2x1024_128_2048cnn_1xhighway</c>: 13.6M parameters, 256-wide outputs.</summary>
    public static ElmoOptions Small { get; } = Published(dim: 1024, projection: 128, highway: 1);

    /// <summary><c>elmo_2x2048_256_2048cnn_1xhighway</c>: 28.0M parameters, 512-wide outputs.</summary>
    public static ElmoOptions Medium { get; } = Published(dim: 2048, projection: 256, highway: 1);

    /// <summary><c>elmo_2x4096_512_2048cnn_2xhighway</c>: 93.6M parameters, 1024-wide outputs; TF Hub's google/elmo.</summary>
    public static ElmoOptions Original { get; } = Published(dim: 4096, projection: 512, highway: 2);

    /// <summary>Looks an architecture up by name: small, medium or original.</summary>
    /// <exception cref="ArgumentException">The name is none of those.</exception>
    public static ElmoOptions ByName(string name) => name.Trim().ToLowerInvariant() switch
    {
        "small" => Small,
        "medium" => Medium,
        "original" => Original,
        _ => throw new ArgumentException($"Unknown ELMo architecture '{name}'; expected small, medium or original.", nameof(name)),
    };

    private static ElmoOptions Published(int dim, int projection, int highway) => new(
        new LstmOptions(dim, projection, NumLayers: 2, CellClip: 3, ProjectionClip: 3, UseSkipConnections: true),
        new CharCnnOptions(EmbeddingDim: 16, PublishedFilters, highway, ElmoCharacters.NumCharacterIds, ElmoCharacters.DefaultMaxCharacters, CharCnnActivation.Relu));
}
