using System.Net;
using System.Reflection;
using ElmoKeras.Batching;
using ElmoKeras.Elmo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace ElmoCli.Serve;

/// <summary>
/// The <c>elmo serve</c> web server: Kestrel with minimal-API endpoints around one
/// <see cref="ElmoService"/>. Start it, then the model loads in the background (<c>/health</c> says
/// when it is ready); stopping it (SIGTERM, Ctrl+C or <see cref="StopAsync"/>) refuses new requests,
/// lets in-flight ones finish within <see cref="ServeSettings.ShutdownTimeout"/>, then frees the model.
/// </summary>
internal sealed class ServeHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ILogger logger;
    private readonly object stopLock = new();
    private Task? stopTask;
    private bool disposed;

    private ServeHost(WebApplication app, ElmoService service, ServeMetrics metrics, ServeSettings settings, ILogger logger)
    {
        this.app = app;
        Service = service;
        Metrics = metrics;
        Settings = settings;
        this.logger = logger;
    }

    public ElmoService Service { get; }

    public ServeMetrics Metrics { get; }

    public ServeSettings Settings { get; }

    /// <summary>Where the server listens (the real port when 0 was asked); set once started.</summary>
    public Uri? Address { get; private set; }

    /// <summary>Completes when the server has been told to stop (a signal or <see cref="StopAsync"/>).</summary>
    public CancellationToken Stopping => app.Lifetime.ApplicationStopping;

    /// <param name="settings">Checked settings.</param>
    /// <param name="loadModel">Loads the model; runs in the background after the server starts.</param>
    /// <param name="configureLogging">Where logs go (console for the CLI; nothing in tests).</param>
    public static ServeHost Create(ServeSettings settings, Func<CancellationToken, Task<ElmoModel>> loadModel, Action<ILoggingBuilder> configureLogging)
    {
        settings.Validate();
        IPAddress address = settings.Host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(settings.Host, out IPAddress? parsed) ? parsed
            : throw new ArgumentException($"--host must be an IP address (e.g. 127.0.0.1, 0.0.0.0) or localhost, got '{settings.Host}'.");

        // The slim builder: Kestrel, routing, configuration and logging, no MVC, no static files.
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "elmo", Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        configureLogging(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, settings.Port);
            kestrel.AddServerHeader = false;
            // RequestBody enforces --max-body-bytes with a problem body. Kestrel's own limit sits higher so
            // that it reads and discards a moderately oversized body after the 413 instead of closing
            // the connection on unread data, which resets it before the client can read the answer.
            kestrel.Limits.MaxRequestBodySize = settings.MaxBodyBytes > long.MaxValue / 16 ? null : settings.MaxBodyBytes * 16;
        });
        // In-flight requests get this long after SIGTERM/Ctrl+C before their connections are closed.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        WebApplication app = builder.Build();

        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ElmoCli.Serve");
        var metrics = new ServeMetrics();
        var service = new ElmoService(loadModel, settings, metrics, logger);
        var host = new ServeHost(app, service, metrics, settings, logger);
        app.Lifetime.ApplicationStopping.Register(service.BeginDrain);

        app.Use(host.MeasureAsync);
        app.Use(host.AnswerProblemsAsync);
        var endpoints = new EmbedEndpoints(service, settings);
        app.MapPost("/embed", endpoints.EmbedAsync);
        app.MapPost("/v1/embeddings", endpoints.OpenAiAsync);
        app.MapGet("/health", host.HealthAsync);
        app.MapGet("/info", host.InfoAsync);
        app.MapMetrics("/metrics", metrics.Registry);
        return host;
    }

    /// <summary>Starts listening, then loads and warms up the model; returns when it is ready.</summary>
    /// <exception cref="Exception">The model failed to load; the server has been stopped.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(bound.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
        logger.LogInformation("Listening on {Address}; loading the model", bound);
        try
        {
            await Service.StartAsync(cancellationToken);
        }
        catch
        {
            await app.StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>Waits for SIGTERM/Ctrl+C (or <see cref="StopAsync"/>), then for the graceful stop to end.</summary>
    public async Task WaitForShutdownAsync()
    {
        await app.WaitForShutdownAsync();
        await DisposeAsync();
    }

    /// <summary>
    /// Graceful stop: no new requests (503), in-flight ones finish (up to the shutdown timeout), then
    /// the model is freed.
    /// </summary>
    /// <remarks>Idempotent: a second call (or <see cref="DisposeAsync"/>) awaits the first stop.</remarks>
    public Task StopAsync()
    {
        lock (stopLock) return stopTask ??= StopOnceAsync();
    }

    private async Task StopOnceAsync()
    {
        Service.BeginDrain();
        using var deadline = new CancellationTokenSource(Settings.ShutdownTimeout);
        await app.StopAsync(deadline.Token);
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        Service.Dispose();
        await app.DisposeAsync();
    }

    /// <summary>Counts every request by endpoint and final status, and times it.</summary>
    private async Task MeasureAsync(HttpContext context, RequestDelegate next)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        string endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "other";
        try
        {
            await next(context);
        }
        finally
        {
            // 499 (nginx's "client closed request"): nobody was there to read the answer.
            int status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
            Metrics.Requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            Metrics.RequestDuration.WithLabels(endpoint).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>Turns every failure into an RFC 7807 problem; unexpected ones are 500s without internals.</summary>
    private async Task AnswerProblemsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; its queued sentences left the queue with the cancellation.
        }
        catch (Exception ex)
        {
            ApiProblem problem = ex switch
            {
                ApiProblem p => p,
                ElmoQueueFullException full => new ApiProblem(StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"The model's queue is full: {full.Queued} of at most {full.Capacity} sentences wait (--max-queue) and this request has {full.Requested}; nothing was queued. Retry shortly.", full.Capacity)
                { RetryAfterSeconds = Settings.RetryAfterSeconds },
                BadHttpRequestException bad => new ApiProblem(bad.StatusCode, "Bad request", bad.Message),
                // The batcher stopped taking work: the server is shutting down.
                InvalidOperationException when Service.State != ServiceState.Ready => Service.NotReadyProblem(),
                _ => Internal(ex),
            };
            await problem.WriteAsync(context);
        }
    }

    private ApiProblem Internal(Exception ex)
    {
        logger.LogError(ex, "Request failed");
        string detail = ex is ArithmeticException
            ? "The model produced a non-finite vector for this input's batch."
            : "The server failed while handling this request; the error is in its log.";
        return new ApiProblem(StatusCodes.Status500InternalServerError, "Internal server error", detail);
    }

    private Task HealthAsync(HttpContext context)
    {
        ServiceState state = Service.State;
        context.Response.StatusCode = state == ServiceState.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        if (state != ServiceState.Ready) context.Response.Headers.RetryAfter = Settings.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Response.WriteAsJsonAsync(new { status = state.ToString().ToLowerInvariant() }, context.RequestAborted);
    }

    private Task InfoAsync(HttpContext context)
    {
        bool ready = Service.State == ServiceState.Ready;
        ElmoModel? elmo = ready ? Service.Model : null;
        var info = new Dictionary<string, object?>
        {
            ["name"] = "elmokeras",
            ["version"] = typeof(ElmoModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0],
            ["state"] = Service.State.ToString().ToLowerInvariant(),
            ["model"] = elmo is null ? null : new Dictionary<string, object?>
            {
                ["name"] = Settings.ModelName,
                ["output_layers"] = elmo.NumLayers,
                ["lstm_layers"] = elmo.Options.Lstm.NumLayers,
                ["lstm_dim"] = elmo.Options.Lstm.Dim,
                ["projection_dim"] = elmo.Options.Lstm.ProjectionDim,
                ["output_dim"] = elmo.OutputDim,
                ["max_characters_per_token"] = elmo.Options.CharCnn.MaxCharactersPerToken,
                ["device"] = elmo.Device.ToString(),
                ["token_cache_capacity"] = elmo.Settings.TokenCacheCapacity,
                ["pretrained_mix"] = elmo.PretrainedMix is not null,
                ["load_seconds"] = Math.Round(Service.LoadTime.TotalSeconds, 3),
                ["warmup_seconds"] = Math.Round(Service.WarmUpTime.TotalSeconds, 3),
            },
            ["outputs"] = ServedOutputs.All.ToArray(),
            ["limits"] = new Dictionary<string, object?>
            {
                ["max_body_bytes"] = Settings.MaxBodyBytes,
                ["max_client_batch_size"] = Settings.MaxClientBatchSize,
                ["max_tokens"] = Settings.MaxTokens,
                ["truncate"] = Settings.Truncate,
                ["max_concurrent_requests"] = Settings.MaxConcurrentRequests,
                ["max_queue"] = Settings.MaxQueue,
                ["max_batch_tokens"] = Settings.MaxBatchTokens,
                ["max_batch_size"] = Settings.MaxBatchSize,
                ["max_wait_ms"] = Settings.MaxWait.TotalMilliseconds,
                ["shutdown_timeout_seconds"] = Settings.ShutdownTimeout.TotalSeconds,
            },
            ["threads"] = TorchSharp.torch.get_num_threads(),
        };
        return context.Response.WriteAsJsonAsync(info, context.RequestAborted);
    }
}
