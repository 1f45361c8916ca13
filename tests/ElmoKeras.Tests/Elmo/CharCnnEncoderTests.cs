using ElmoKeras.Elmo;
using ElmoKeras.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Tests.Elmo;

/// <summary>
/// The character CNN convolves a short token over only the windows that can differ (the rest see
/// padding only); the result must be that of every window, for values and gradients.
/// </summary>
public class CharCnnEncoderTests
{
    // Every length from 1 to 52 bytes (the longest are cut at 48), multi-byte characters, and the sentence marks.
    private static readonly string[] Tokens =
        Enumerable.Range(1, 52).Select(n => new string((char)('a' + n % 26), n))
            .Concat(["naïve", "日本語のテキスト", "<S>", "</S>", "don't", "--PAD--", "https://example.com/a/very/long/path?with=query"])
            .ToArray();

    private static Tensor CharacterIds(IEnumerable<string> tokens)
    {
        long[][] rows = tokens.Select(t => ElmoCharacters.Encode(t)).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, ElmoCharacters.DefaultMaxCharacters]);
    }

    private static (float[] Output, float[] CharGradient, float[] ConvolutionGradient) Run(ElmoModel elmo, bool tiers, Tensor ids, Tensor outputWeights)
    {
        CharCnnEncoder encoder = elmo.Network.TokenEncoder;
        encoder.UseTiers = tiers;
        encoder.zero_grad();
        using var scope = NewDisposeScope();
        Tensor output = encoder.call(ids);
        (output * outputWeights).sum().backward();
        return (output.data<float>().ToArray(), encoder.CharEmbedding.grad!.data<float>().ToArray(),
            encoder.Convolutions[^1].weight!.grad!.data<float>().ToArray());
    }

    [Fact]
    public void ShortTokensGiveTheValuesAndGradientsOfEveryWindow()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        foreach (var p in elmo.Network.TokenEncoder.parameters()) p.requires_grad = true;
        using var scope = NewDisposeScope();
        manual_seed(3);
        // Enough tokens that some tiers span more than one group of the encoder.
        string[] tokens = Enumerable.Range(0, 3).SelectMany(_ => Tokens).ToArray();
        Tensor ids = CharacterIds(tokens);
        Tensor outputWeights = randn(tokens.Length, elmo.Options.Lstm.ProjectionDim);
        var every = Run(elmo, tiers: false, ids, outputWeights);
        var tiered = Run(elmo, tiers: true, ids, outputWeights);
        AssertClose(every.Output, tiered.Output, 1e-6f, "token vectors");
        AssertClose(every.CharGradient, tiered.CharGradient, 1e-4f, "character embedding gradient");
        AssertClose(every.ConvolutionGradient, tiered.ConvolutionGradient, 1e-4f, "widest convolution's gradient");
    }

    [Fact]
    public void ATokensVectorIsTheSameToTheBitAmongTokensOfOtherLengths()
    {
        using var elmo = ElmoModel.Load(Fixtures.ElmoOptions, Fixtures.ElmoWeights, new ElmoModelSettings { TokenCacheCapacity = 0 });
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        CharCnnEncoder encoder = elmo.Network.TokenEncoder;
        float[] mixed = encoder.call(CharacterIds(Tokens)).data<float>().ToArray();
        int width = elmo.Options.Lstm.ProjectionDim;
        foreach (int i in new[] { 0, 6, 15, 30, 51, Tokens.Length - 1 })
        {
            float[] alone = encoder.call(CharacterIds([Tokens[i]])).data<float>().ToArray();
            Assert.Equal(alone, mixed.Skip(i * width).Take(width).ToArray());
        }
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = Math.Max(1f, expected.Max(Math.Abs));
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= tolerance * scale, $"{what}: max |diff| {worst:E2} > {tolerance:E0} x {scale}");
        Assert.Contains(expected, v => v != 0);
    }
}
