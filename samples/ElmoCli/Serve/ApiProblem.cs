using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ElmoCli.Serve;

/// <summary>
/// A request the server refuses, as an RFC 7807 problem: status, a short title, what exactly was
/// wrong, and the limit it broke when there is one. Thrown by request parsing, written by the endpoints.
/// </summary>
internal sealed class ApiProblem(int status, string title, string detail, long? limit = null) : Exception(detail)
{
    public const string ContentType = "application/problem+json";

    // Quotes stay quotes in the detail (the default escapes them as \u0022); the body is never HTML.
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public int Status { get; } = status;

    public string Title { get; } = title;

    public string Detail { get; } = detail;

    public long? Limit { get; } = limit;

    /// <summary>Seconds the client should wait before retrying (Retry-After), for 429 and 503.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiProblem BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ApiProblem Unprocessable(string detail, long? limit = null) => new(StatusCodes.Status422UnprocessableEntity, "Unprocessable input", detail, limit);

    public async Task WriteAsync(HttpContext context)
    {
        HttpResponse response = context.Response;
        if (response.HasStarted) return;
        response.StatusCode = Status;
        response.ContentType = ContentType;
        if (RetryAfterSeconds is int seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var body = new Dictionary<string, object?>
        {
            ["type"] = "about:blank",
            ["title"] = Title,
            ["status"] = Status,
            ["detail"] = Detail,
            ["instance"] = context.Request.Path.Value,
        };
        if (Limit is long limit) body["limit"] = limit;
        await JsonSerializer.SerializeAsync(response.Body, body, Json, context.RequestAborted);
    }
}
