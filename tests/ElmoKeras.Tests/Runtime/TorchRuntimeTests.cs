using ElmoKeras.Runtime;
using TorchSharp;

namespace ElmoKeras.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void BackendLoadsAndComputes()
    {
        TorchRuntime.EnsureLoaded();
        using var x = torch.arange(6, torch.float32).reshape(2, 3);
        using var s = x.sum();
        Assert.Equal(15f, s.item<float>());
    }
}
