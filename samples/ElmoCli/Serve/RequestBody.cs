using Microsoft.AspNetCore.Http;

namespace ElmoCli.Serve;

/// <summary>Reads a request body up to a limit, refusing larger ones with 413 before or while reading.</summary>
internal static class RequestBody
{
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContext context, long limit)
    {
        HttpRequest request = context.Request;
        if (request.ContentLength is long declared && declared > limit) throw TooLarge($"{declared} bytes", limit);
        using var buffer = new MemoryStream(request.ContentLength is long known ? (int)known : 4096);
        byte[] chunk = new byte[16 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await request.Body.ReadAsync(chunk, context.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw TooLarge("over the limit", limit);
            }
            if (read == 0) break;
            // Chunked bodies announce no length: count as they come.
            if (buffer.Length + read > limit) throw TooLarge("over the limit", limit);
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static ApiProblem TooLarge(string size, long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "Payload too large",
            $"The request body is {size}; the limit is {limit} bytes (--max-body-bytes). Send fewer or shorter inputs per request.", limit);
}
