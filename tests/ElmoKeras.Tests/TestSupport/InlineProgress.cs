namespace ElmoKeras.Tests.TestSupport;

/// <summary>Reports synchronously, unlike <see cref="Progress{T}"/>, so tests see every report before the call returns.</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
