namespace ElmoCli.Serve;

/// <summary>Where the served model is in its life; <c>/health</c> reports it.</summary>
internal enum ServiceState
{
    /// <summary>Loading or warming up: requests get 503.</summary>
    Loading,
    /// <summary>Serving.</summary>
    Ready,
    /// <summary>Told to stop: in-flight requests finish, new ones get 503.</summary>
    Draining,
    /// <summary>The model is freed.</summary>
    Stopped,
}
