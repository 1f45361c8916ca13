using ElmoKeras.Elmo;
using ElmoKeras.Runtime;
using ElmoKeras.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Elmo;

/// <summary>Runs only where CUDA is present (the GPU machine); skips elsewhere, CI included.</summary>
public class CudaTests
{
    [Fact]
    public void CudaModelMatchesTheCpuModel()
    {
        Assert.SkipUnless(TorchRuntime.CudaAvailable(), "CUDA is not available on this machine.");
        string[][] sentences = Fixtures.ReadSentences().SelectMany(c => c).Take(6).Select(s => s.Split(' ')).ToArray();
        using var cpu = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights);
        using var gpu = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { Device = CUDA });
        using ElmoEmbeddings a = cpu.Embed(sentences), b = gpu.Embed(sentences);
        Assert.Equal(DeviceType.CUDA, b.Layers.device_type);
        using Tensor diff = (a.Layers - b.Layers.cpu()).abs().max();
        Assert.True(diff.item<float>() < 1e-4f, $"max |diff| {diff.item<float>():E2}");
    }
}
