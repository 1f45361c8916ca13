using System.CommandLine;
using ElmoKeras.Elmo;
using Microsoft.Extensions.Logging;

namespace ElmoCli.Serve;

/// <summary>
/// <c>elmo serve</c>: ELMo as an HTTP service (docs/serving.md): <c>/embed</c>, <c>/v1/embeddings</c>,
/// <c>/health</c>, <c>/info</c>, <c>/metrics</c>, with dynamic batching and limits.
/// </summary>
internal static class ServeCommand
{
    public const string Name = "serve";

    public static Command Create()
    {
        var defaults = new ServeSettings();
        var host = new Option<string>("--host") { Description = "Address to listen on (an IP address or localhost; 0.0.0.0 for every interface).", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port") { Description = "TCP port (0: a free one, printed at start).", DefaultValueFactory = _ => defaults.Port };
        var maxBatchTokens = new Option<int>("--max-batch-tokens") { Description = "Padded tokens (rows x longest) per model batch.", DefaultValueFactory = _ => defaults.MaxBatchTokens };
        var maxBatchSize = new Option<int>("--max-batch-size") { Description = "Sentences per model batch.", DefaultValueFactory = _ => defaults.MaxBatchSize };
        var maxWait = new Option<double>("--max-wait-ms") { Description = "How long a batch waits for more sentences before it starts, counted from the oldest arrival or the end of the previous batch, whichever is later.", DefaultValueFactory = _ => defaults.MaxWait.TotalMilliseconds };
        var maxQueue = new Option<int>("--max-queue") { Description = "Sentences that may wait for the model; beyond, requests get 429 at once.", DefaultValueFactory = _ => defaults.MaxQueue };
        var maxConcurrent = new Option<int>("--max-concurrent-requests") { Description = "Requests handled at once; beyond, 429 at once.", DefaultValueFactory = _ => defaults.MaxConcurrentRequests };
        var maxClientBatch = new Option<int>("--max-client-batch-size") { Description = "Inputs per request; beyond, 422.", DefaultValueFactory = _ => defaults.MaxClientBatchSize };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Request body size; beyond, 413.", DefaultValueFactory = _ => defaults.MaxBodyBytes };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Whitespace tokens per input; beyond, 422 (or cut with --truncate).", DefaultValueFactory = _ => defaults.MaxTokens };
        var truncate = new Option<bool>("--truncate") { Description = "Cut inputs longer than --max-tokens instead of answering 422 (a request's \"truncate\" field wins)." };
        var shutdownTimeout = new Option<double>("--shutdown-timeout") { Description = "Seconds SIGTERM/Ctrl+C waits for in-flight requests before closing their connections.", DefaultValueFactory = _ => defaults.ShutdownTimeout.TotalSeconds };
        var retryAfter = new Option<int>("--retry-after") { Description = "Seconds a 429 or 503 answer asks the client to wait (Retry-After).", DefaultValueFactory = _ => defaults.RetryAfterSeconds };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for TorchSharp (default: libtorch's choice, one per core)." };
        var modelName = new Option<string?>("--model-name") { Description = "The model's name in /info and /v1/embeddings answers (default: from --elmo or the weight file's name)." };
        var model = new ModelOptions();

        var command = new Command(Name, "Serve ELMo embeddings over HTTP: /embed, /v1/embeddings (OpenAI), /health, /info, /metrics.");
        foreach (Option option in new Option[] { host, port, maxBatchTokens, maxBatchSize, maxWait, maxQueue, maxConcurrent, maxClientBatch, maxBody, maxTokens, truncate, shutdownTimeout, retryAfter, threads, modelName })
            command.Options.Add(option);
        model.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new ServeSettings
            {
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                MaxBatchTokens = result.GetValue(maxBatchTokens),
                MaxBatchSize = result.GetValue(maxBatchSize),
                MaxWait = TimeSpan.FromMilliseconds(result.GetValue(maxWait)),
                MaxQueue = result.GetValue(maxQueue),
                MaxConcurrentRequests = result.GetValue(maxConcurrent),
                MaxClientBatchSize = result.GetValue(maxClientBatch),
                MaxBodyBytes = result.GetValue(maxBody),
                MaxTokens = result.GetValue(maxTokens),
                Truncate = result.GetValue(truncate),
                ShutdownTimeout = TimeSpan.FromSeconds(result.GetValue(shutdownTimeout)),
                RetryAfterSeconds = result.GetValue(retryAfter),
                Threads = result.GetValue(threads),
                ModelName = result.GetValue(modelName) ?? DefaultModelName(result, model),
            }.Validate();
            // Settings are checked before the model loads, so a typo costs nothing.
            _ = model.Settings(result);
            await using ServeHost server = ServeHost.Create(settings, ct => model.LoadAsync(result, stateful: false, cancellationToken: ct), logging => logging
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information));
            await server.StartAsync(cancellationToken);
            // One line on stdout, for scripts that start the server on port 0.
            Console.WriteLine($"elmo serve: ready on {server.Address}");
            await server.WaitForShutdownAsync();
            return 0;
        });
        return command;
    }

    private static string DefaultModelName(ParseResult result, ModelOptions model) =>
        model.SourceName(result) is string name ? Path.GetFileNameWithoutExtension(name.TrimEnd('/', '\\')) : "elmo";
}
