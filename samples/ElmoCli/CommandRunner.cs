using System.CommandLine;
using ElmoKeras.EmbeddingFiles;
using ElmoKeras.Runtime;
using ElmoKeras.Weights;

namespace ElmoCli;

/// <summary>Runs a command line and turns expected failures into one clear line on stderr.</summary>
internal static class CommandRunner
{
    public const int Failure = 1;
    public const int Cancelled = 130;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        try
        {
            // Our handler below prints one line; System.CommandLine's would print a stack trace.
            ParseResult parsed = root.Parse(args);
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error };
            // The server handles SIGTERM/Ctrl+C itself (drain within --shutdown-timeout); System.CommandLine
            // would otherwise end the command 2 s after the signal, cutting in-flight requests off.
            if (parsed.CommandResult.Command.Name == Serve.ServeCommand.Name) configuration.ProcessTerminationTimeout = null;
            return await parsed.InvokeAsync(configuration);
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled; no output was written.");
            return Cancelled;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or FormatException or WeightFormatException or ElmoKeras.Elmo.ElmoOptionsException
                                       or NativeLibraryException or EmbeddingFileException or ArgumentException or InvalidOperationException or IOException or ArithmeticException)
        {
            error.WriteLine($"error: {ex.Message}");
            return Failure;
        }
    }
}
