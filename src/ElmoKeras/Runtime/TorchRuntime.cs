using System.Text;
using TorchSharp;

namespace ElmoKeras.Runtime;

/// <summary>
/// Loads TorchSharp's native backend and turns its failures into errors a user can act on.
/// TorchSharp's own message blames the libtorch package even when the real cause is an old
/// system libstdc++, which is the usual failure on Debian 12.
/// </summary>
public static class TorchRuntime
{
    internal const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    /// <summary>
    /// Makes sure the native backend is loaded, and CUDA too when <paramref name="device"/> is a CUDA device.
    /// </summary>
    /// <exception cref="NativeLibraryException">The native libraries cannot be loaded here.</exception>
    public static void EnsureLoaded(DeviceType device = DeviceType.CPU)
    {
        try
        {
            torch.InitializeDeviceType(device);
        }
        catch (Exception ex) when (ex is NotSupportedException or DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw Explain(ex, device);
        }
    }

    /// <summary>Whether a CUDA device can be used, loading the backend first.</summary>
    public static bool CudaAvailable()
    {
        EnsureLoaded();
        return torch.cuda.is_available();
    }

    private static NativeLibraryException Explain(Exception ex, DeviceType device)
    {
        var text = new StringBuilder();
        string? stdcxx = FindLoadedLibStdCxx();
        if (stdcxx is not null && !FileContains(stdcxx, RequiredGlibcxx))
        {
            text.Append("TorchSharp's native library (libLibTorchSharp.so) could not be loaded because the system C++ runtime ")
                .Append($"'{stdcxx}' lacks {RequiredGlibcxx} (it needs libstdc++ from GCC 13 or newer). ")
                .Append("On Debian 12 run 'sudo bash scripts/install-prereqs.sh' from the ElmoKeras repository, which installs ")
                .Append("libstdc++6 from Debian 13 (trixie) with apt pinning; on other systems install a newer libstdc++6 package. ");
        }
        else if (device == DeviceType.CUDA)
        {
            text.Append("TorchSharp could not initialise CUDA. Reference a CUDA libtorch backend package instead of the CPU one ")
                .Append("(or point LD_LIBRARY_PATH at a CUDA build of libtorch 2.10) and check that the NVIDIA driver is installed. ");
        }
        else
        {
            text.Append("TorchSharp's native libraries could not be loaded. Make sure the application references exactly one libtorch ")
                .Append("backend package matching TorchSharp 0.107 (for example 'libtorch-cpu-linux-x64' 2.10.0 or 'TorchSharp-cpu' 0.107.0). ");
        }
        text.Append("TorchSharp said: ").Append(ex.GetBaseException().Message);
        return new NativeLibraryException(text.ToString(), ex);
    }

    /// <summary>The libstdc++ this process has mapped (the .NET host loads it), or the usual system path.</summary>
    private static string? FindLoadedLibStdCxx()
    {
        try
        {
            if (File.Exists("/proc/self/maps"))
            {
                foreach (string line in File.ReadLines("/proc/self/maps"))
                {
                    int slash = line.IndexOf('/');
                    if (slash >= 0 && line.Contains("libstdc++.so", StringComparison.Ordinal))
                        return line[slash..].Trim();
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        foreach (string candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    internal static bool FileContains(string path, string ascii)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii)) >= 0;
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return true; }
    }
}
