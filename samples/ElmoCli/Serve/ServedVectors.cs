namespace ElmoCli.Serve;

/// <summary>One input's vectors in row-major order with their shape.</summary>
internal readonly record struct ServedVectors(float[] Values, int[] Shape);
