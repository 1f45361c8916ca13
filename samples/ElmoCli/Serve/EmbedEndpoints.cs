using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ElmoCli.Serve;

/// <summary><c>POST /embed</c> and the OpenAI-compatible <c>POST /v1/embeddings</c>.</summary>
internal sealed class EmbedEndpoints(ElmoService service, ServeSettings settings)
{
    public async Task EmbedAsync(HttpContext context)
    {
        using ElmoService.RequestSlot slot = Enter();
        ReadOnlyMemory<byte> body = await RequestBody.ReadAsync(context, settings.MaxBodyBytes);
        EmbedRequest request = EmbedRequest.ParseEmbed(body, settings);
        service.Outputs.Check(request.Output);
        float[][,,] layers = await service.Batcher.EmbedAsync(request.Sentences, context.RequestAborted);
        ServedVectors[] vectors = layers.Select(l => service.Outputs.Compute(request.Output, l)).ToArray();
        if (EmbeddingWriter.WantsBinary(context.Request))
        {
            context.Response.Headers["X-Elmo-Output"] = ServedOutputs.Name(request.Output);
            await EmbeddingWriter.WriteBinaryAsync(context.Response, vectors, context.RequestAborted);
        }
        else
        {
            await EmbeddingWriter.WriteJsonAsync(context.Response, request, vectors, settings.ModelName, context.RequestAborted);
        }
    }

    public async Task OpenAiAsync(HttpContext context)
    {
        using ElmoService.RequestSlot slot = Enter();
        ReadOnlyMemory<byte> body = await RequestBody.ReadAsync(context, settings.MaxBodyBytes);
        var (request, base64) = EmbedRequest.ParseOpenAi(body, settings, service.Model.OutputDim);
        float[][,,] layers = await service.Batcher.EmbedAsync(request.Sentences, context.RequestAborted);
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (int i = 0; i < layers.Length; i++)
        {
            float[] vector = service.Outputs.Compute(ServedOutput.Default, layers[i]).Values;
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            if (base64)
            {
                json.WriteString("embedding", EmbeddingWriter.ToBase64(vector));
            }
            else
            {
                json.WriteStartArray("embedding");
                foreach (float value in vector) json.WriteNumberValue(value);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("model", settings.ModelName);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", request.Tokens);
        json.WriteNumber("total_tokens", request.Tokens);
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    /// <summary>The concurrency limit first (cheapest refusal), then readiness.</summary>
    private ElmoService.RequestSlot Enter()
    {
        ElmoService.RequestSlot slot = service.TryEnter()
            ?? throw new ApiProblem(StatusCodes.Status429TooManyRequests, "Too many requests",
                $"{settings.MaxConcurrentRequests} requests are being handled, the limit (--max-concurrent-requests); retry shortly.", settings.MaxConcurrentRequests)
            { RetryAfterSeconds = settings.RetryAfterSeconds };
        try
        {
            service.EnsureReady();
            return slot;
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }
}
