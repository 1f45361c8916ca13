namespace ElmoCli.Embed;

/// <summary>One input line: its 0-based index in the file, its trimmed text and its tokens.</summary>
internal sealed record Sentence(long Index, string Text, string[] Tokens);
