using System.Text.Json;
using ElmoKeras.ElmoLayer;

namespace ElmoCli.Serve;

/// <summary>A checked request: tokenised inputs within every limit, and what to return.</summary>
/// <param name="Sentences">Each input's tokens, truncated when allowed.</param>
/// <param name="Truncated">How many inputs were cut to the token limit.</param>
internal sealed record EmbedRequest(string[][] Sentences, ServedOutput Output, int Truncated)
{
    public long Tokens => Sentences.Sum(s => (long)s.Length);

    /// <summary>
    /// <c>POST /embed</c>: <c>{"inputs": "text" | ["text", ...] | [["token", ...], ...], "output": "default", "truncate": false}</c>.
    /// Strings are split on whitespace; token rows may end in padding (<c>""</c> or <c>--PAD--</c>).
    /// </summary>
    /// <exception cref="ApiProblem">400 for malformed JSON or wrong types, 422 for values out of range.</exception>
    public static EmbedRequest ParseEmbed(ReadOnlyMemory<byte> body, ServeSettings settings)
    {
        using JsonDocument document = ParseJson(body);
        JsonElement root = RootObject(document, "{\"inputs\": [\"a sentence\", ...]}");
        if (!root.TryGetProperty("inputs", out JsonElement inputs))
            throw ApiProblem.BadRequest("The body has no \"inputs\" field; expected {\"inputs\": [\"a sentence\", ...]} or {\"inputs\": [[\"tokens\", ...], ...]}.");
        ServedOutput output = ServedOutput.Default;
        if (root.TryGetProperty("output", out JsonElement outputName))
            output = outputName.ValueKind == JsonValueKind.String ? ServedOutputs.Parse(outputName.GetString()!)
                : throw ApiProblem.BadRequest($"\"output\" must be a string (one of {string.Join(", ", ServedOutputs.All)}); got a JSON {Kind(outputName)}.");
        bool truncate = Truncate(root, settings);
        string[][] sentences = inputs.ValueKind switch
        {
            JsonValueKind.String => [Tokenise(inputs.GetString()!)],
            JsonValueKind.Array => Rows(inputs, "inputs", settings, allowTokens: true),
            _ => throw ApiProblem.BadRequest($"\"inputs\" must be a string, an array of strings or an array of token arrays; got a JSON {Kind(inputs)}."),
        };
        return Checked(sentences, output, truncate, "inputs", settings);
    }

    /// <summary>
    /// <c>POST /v1/embeddings</c> (OpenAI): <c>{"input": "text" | ["text", ...], "model": "...", "encoding_format": "float" | "base64"}</c>.
    /// </summary>
    public static (EmbedRequest Request, bool Base64) ParseOpenAi(ReadOnlyMemory<byte> body, ServeSettings settings, int width)
    {
        using JsonDocument document = ParseJson(body);
        JsonElement root = RootObject(document, "{\"input\": [\"a sentence\", ...]}");
        if (!root.TryGetProperty("input", out JsonElement input))
            throw ApiProblem.BadRequest("The body has no \"input\" field; expected {\"input\": \"text\"} or {\"input\": [\"text\", ...]}.");
        bool base64 = false;
        if (root.TryGetProperty("encoding_format", out JsonElement format))
        {
            if (format.ValueKind != JsonValueKind.String) throw ApiProblem.BadRequest($"\"encoding_format\" must be a string (\"float\" or \"base64\"); got a JSON {Kind(format)}.");
            base64 = format.GetString()! switch
            {
                "float" => false,
                "base64" => true,
                string other => throw ApiProblem.Unprocessable($"\"encoding_format\" must be \"float\" or \"base64\"; got \"{other}\"."),
            };
        }
        if (root.TryGetProperty("dimensions", out JsonElement dimensions) && dimensions.ValueKind != JsonValueKind.Null)
        {
            if (!dimensions.TryGetInt32(out int asked)) throw ApiProblem.BadRequest($"\"dimensions\" must be an integer; got a JSON {Kind(dimensions)}.");
            if (asked != width) throw ApiProblem.Unprocessable($"\"dimensions\": this ELMo gives {width}-dimensional vectors and cannot shorten them; got {asked}.", width);
        }
        bool truncate = Truncate(root, settings);
        string[][] sentences = input.ValueKind switch
        {
            JsonValueKind.String => [Tokenise(input.GetString()!)],
            JsonValueKind.Array => Rows(input, "input", settings, allowTokens: false),
            _ => throw ApiProblem.BadRequest($"\"input\" must be a string or an array of strings; got a JSON {Kind(input)}."),
        };
        return (Checked(sentences, ServedOutput.Default, truncate, "input", settings), base64);
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty) throw ApiProblem.BadRequest("The request body is empty; expected a JSON object.");
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw ApiProblem.BadRequest($"The body is not valid JSON: {ex.Message}");
        }
    }

    private static JsonElement RootObject(JsonDocument document, string example) =>
        document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement
        : throw ApiProblem.BadRequest($"The body must be a JSON object such as {example}; got a JSON {Kind(document.RootElement)}.");

    private static bool Truncate(JsonElement root, ServeSettings settings) =>
        !root.TryGetProperty("truncate", out JsonElement value) || value.ValueKind == JsonValueKind.Null ? settings.Truncate
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw ApiProblem.BadRequest($"\"truncate\" must be true or false; got a JSON {Kind(value)}.");

    private static string[][] Rows(JsonElement array, string field, ServeSettings settings, bool allowTokens)
    {
        int count = array.GetArrayLength();
        if (count == 0) throw ApiProblem.Unprocessable($"\"{field}\" is empty; send at least one input.");
        // Before looking inside: a huge request is refused without tokenising it.
        if (count > settings.MaxClientBatchSize)
            throw ApiProblem.Unprocessable($"\"{field}\" has {count} inputs; the limit is {settings.MaxClientBatchSize} per request (--max-client-batch-size). Split the request.", settings.MaxClientBatchSize);
        JsonValueKind first = array[0].ValueKind;
        string expected = allowTokens ? "all strings or all arrays of string tokens" : "strings";
        if (first == JsonValueKind.Array && allowTokens)
        {
            var rows = new List<IReadOnlyList<string>>(count);
            int i = 0;
            foreach (JsonElement row in array.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array)
                    throw ApiProblem.BadRequest($"\"{field}\"[{i}] is a JSON {Kind(row)}; the items of \"{field}\" must be {expected}.");
                var tokens = new List<string>(row.GetArrayLength());
                int t = 0;
                foreach (JsonElement token in row.EnumerateArray())
                {
                    if (token.ValueKind != JsonValueKind.String)
                        throw ApiProblem.BadRequest($"\"{field}\"[{i}][{t}] is a JSON {Kind(token)}; tokens must be strings.");
                    tokens.Add(token.GetString()!);
                    t++;
                }
                rows.Add(tokens);
                i++;
            }
            try
            {
                return ElmoInputs.FromTokens(rows);
            }
            catch (ArgumentException ex)
            {
                throw ApiProblem.Unprocessable($"\"{field}\": {ex.Message.Split(" (Parameter", 2)[0]}");
            }
        }
        var sentences = new string[count][];
        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw ApiProblem.BadRequest($"\"{field}\"[{index}] is a JSON {Kind(item)}; the items of \"{field}\" must be {expected}{(allowTokens ? "" : " (token ids are not accepted: ELMo reads characters)")}.");
            sentences[index++] = Tokenise(item.GetString()!);
        }
        return sentences;
    }

    private static string[] Tokenise(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static EmbedRequest Checked(string[][] sentences, ServedOutput output, bool truncate, string field, ServeSettings settings)
    {
        if (sentences.Length > settings.MaxClientBatchSize)
            throw ApiProblem.Unprocessable($"\"{field}\" has {sentences.Length} inputs; the limit is {settings.MaxClientBatchSize} per request (--max-client-batch-size). Split the request.", settings.MaxClientBatchSize);
        int truncated = 0;
        for (int i = 0; i < sentences.Length; i++)
        {
            string at = sentences.Length == 1 && field == "input" ? $"\"{field}\"" : $"\"{field}\"[{i}]";
            if (sentences[i].Length == 0) throw ApiProblem.Unprocessable($"{at} is empty (no tokens); every input needs at least one token.");
            if (sentences[i].Length <= settings.MaxTokens) continue;
            if (!truncate)
                throw ApiProblem.Unprocessable($"{at} has {sentences[i].Length} tokens; the limit is {settings.MaxTokens} (--max-tokens). Send \"truncate\": true to cut it, or split it.", settings.MaxTokens);
            sentences[i] = sentences[i][..settings.MaxTokens];
            truncated++;
        }
        return new EmbedRequest(sentences, output, truncated);
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
