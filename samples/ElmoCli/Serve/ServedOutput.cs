namespace ElmoCli.Serve;

/// <summary>Which vectors a request asks for: TF Hub's ELMo outputs, plus every layer.</summary>
internal enum ServedOutput
{
    /// <summary><c>default</c>: the scalar mix mean-pooled over tokens, [width].</summary>
    Default,
    /// <summary><c>elmo</c>: the scalar mix per token, [tokens, width].</summary>
    Elmo,
    /// <summary><c>word_emb</c>: the context-independent token vectors, [tokens, projection_dim].</summary>
    WordEmb,
    /// <summary><c>lstm_outputs1</c>: the first LSTM layer, [tokens, width].</summary>
    LstmOutputs1,
    /// <summary><c>lstm_outputs2</c>: the second LSTM layer, [tokens, width].</summary>
    LstmOutputs2,
    /// <summary><c>all</c>: every layer, [layers, tokens, width] (what <c>elmo embed --all</c> writes).</summary>
    All,
}

/// <summary>The wire names of <see cref="ServedOutput"/>.</summary>
internal static class ServedOutputs
{
    private static readonly (string Name, ServedOutput Value)[] Names =
    [
        ("default", ServedOutput.Default), ("elmo", ServedOutput.Elmo), ("word_emb", ServedOutput.WordEmb),
        ("lstm_outputs1", ServedOutput.LstmOutputs1), ("lstm_outputs2", ServedOutput.LstmOutputs2), ("all", ServedOutput.All),
    ];

    public static IEnumerable<string> All => Names.Select(n => n.Name);

    public static string Name(ServedOutput output) => Names.First(n => n.Value == output).Name;

    /// <exception cref="ApiProblem">422 naming the valid outputs.</exception>
    public static ServedOutput Parse(string name) =>
        Names.FirstOrDefault(n => n.Name == name) is { Name: not null } match ? match.Value
        : throw ApiProblem.Unprocessable($"\"output\" must be one of {string.Join(", ", All.Select(n => $"\"{n}\""))}; got \"{name}\".");
}
