using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ElmoKeras.Tests.TestSupport;

/// <summary>What the server does for one request.</summary>
/// <param name="Status">The HTTP status to answer with.</param>
/// <param name="Body">The body; its full length is always announced in Content-Length.</param>
/// <param name="DropAfter">Close the connection after sending this many body bytes.</param>
/// <param name="HangAfter">Stop sending after this many body bytes and keep the connection open until the server is disposed.</param>
/// <param name="DelayBeforeBody">Wait this long between the headers and the body.</param>
internal sealed record Reply(int Status, byte[] Body, int? DropAfter = null, int? HangAfter = null, TimeSpan? DelayBeforeBody = null)
{
    public static Reply Ok(byte[] body) => new(200, body);
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (a free port) built on <see cref="TcpListener"/>, so tests
/// control exactly what goes over the wire, including connections cut mid-body. One request per
/// connection; every request is counted per path.
/// </summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<string, Func<int, Reply>> routes = new();
    private readonly ConcurrentDictionary<string, int> counts = new();
    private readonly Task acceptLoop;

    public LocalHttpServer()
    {
        listener.Start();
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Answers requests for <paramref name="path"/>; the function gets the request's 1-based number for that path.</summary>
    public void Map(string path, Func<int, Reply> reply) => routes[path] = reply;

    public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}{path}");

    public int RequestCount(string path) => counts.GetValueOrDefault(path);

    private async Task AcceptLoopAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                TcpClient client = await listener.AcceptTcpClientAsync(stopping.Token);
                connections.Add(Task.Run(() => ServeAsync(client)));
            }
        }
        // A server disposed before the loop first runs has stopped listening: accepting then throws
        // InvalidOperationException ("Not listening") rather than a cancellation.
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException
                                   || (ex is InvalidOperationException && stopping.IsCancellationRequested)) { }
        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                string? path = await ReadRequestPathAsync(stream);
                if (path is null)
                    return;
                int number = counts.AddOrUpdate(path, 1, (_, n) => n + 1);
                Reply reply = routes.TryGetValue(path, out var route) ? route(number) : new Reply(404, "not found"u8.ToArray());
                string head = $"HTTP/1.1 {reply.Status} {ReasonPhrase(reply.Status)}\r\nContent-Length: {reply.Body.Length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), stopping.Token);
                if (reply.DelayBeforeBody is TimeSpan delay)
                {
                    await stream.FlushAsync(stopping.Token);
                    await Task.Delay(delay, stopping.Token);
                }
                int sent = Math.Min(reply.Body.Length, reply.DropAfter ?? reply.HangAfter ?? reply.Body.Length);
                await stream.WriteAsync(reply.Body.AsMemory(0, sent), stopping.Token);
                await stream.FlushAsync(stopping.Token);
                if (reply.HangAfter is not null)
                    await Task.Delay(Timeout.Infinite, stopping.Token);
                if (reply.DropAfter is not null)
                    client.Client.LingerState = new LingerOption(true, 0); // reset, as a crashed server would
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException) { }
        }
    }

    private async Task<string?> ReadRequestPathAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        byte[] buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer, stopping.Token);
            if (read == 0 || head.Length > 16_384)
                return null;
            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        string[] requestLine = head.ToString().Split("\r\n")[0].Split(' ');
        return requestLine.Length >= 2 ? requestLine[1] : null;
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        listener.Stop();
        await acceptLoop;
        stopping.Dispose();
    }
}
