namespace ElmoKeras.IO;

/// <summary>Recognises "disk full" among I/O errors so it can be reported plainly and not retried.</summary>
internal static class DiskErrors
{
    // Unix: .NET puts errno in HResult (ENOSPC 28; EDQUOT 122 on Linux, 69 on macOS).
    // Windows: HRESULT_FROM_WIN32 of ERROR_HANDLE_DISK_FULL (39) or ERROR_DISK_FULL (112).
    internal static bool IsDiskFull(IOException exception)
    {
        int code = exception.HResult;
        if (OperatingSystem.IsWindows())
            return (code & 0xFFFF) is 39 or 112 && (code & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000);
        return code is 28 || (OperatingSystem.IsLinux() && code is 122) || (OperatingSystem.IsMacOS() && code is 69);
    }
}
