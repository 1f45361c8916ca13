using TorchSharp;
using static TorchSharp.torch;

namespace ElmoKeras.Torch;

/// <summary>
/// Tensor arithmetic whose <see cref="Scalar"/>s stay reachable until libtorch has returned.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 makes a finalizable <see cref="Scalar"/> for every implicit conversion
/// (<c>x * 0.5</c>, <c>fill_(1f)</c>) and even for <c>a + b</c> of two tensors (an alpha of 1), and
/// nothing holds it once its handle is read. A garbage collection started by another thread while
/// the native call runs can finalize it, and libtorch then reads freed memory: <c>elmo embed</c>
/// died on a "toFloat" check after tens of thousands of sentences, and at once when another thread
/// forced collections. Every scalar here is disposed after the call, which keeps it alive through
/// it. <c>TorchScalarSafetyTests</c> scans this assembly's IL so no unheld scalar comes back.
/// </remarks>
internal static class HeldScalarMath
{
    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b)
    {
        using Scalar one = 1.ToScalar();
        return a.add(b, one);
    }

    /// <summary><c>a + b</c> for a number <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, double b)
    {
        using Scalar value = b.ToScalar(), one = 1.ToScalar();
        return a.add(value, one);
    }

    /// <summary><c>a - b</c> for a number <paramref name="b"/>.</summary>
    public static Tensor Minus(this Tensor a, double b)
    {
        using Scalar value = b.ToScalar();
        return a.sub(value);
    }

    /// <summary><c>a - b</c> for a number <paramref name="a"/>.</summary>
    public static Tensor Minus(double a, Tensor b)
    {
        using Scalar value = a.ToScalar(), one = 1.ToScalar();
        using Tensor negated = b.neg();
        return negated.add(value, one);
    }

    /// <summary><c>a * b</c> for a number <paramref name="b"/>.</summary>
    public static Tensor Times(this Tensor a, double b)
    {
        using Scalar value = b.ToScalar();
        return a.mul(value);
    }

    /// <summary><c>a / b</c> for a number <paramref name="b"/>.</summary>
    public static Tensor DividedBy(this Tensor a, double b)
    {
        using Scalar value = b.ToScalar();
        return a.div(value);
    }

    /// <summary><c>a ** exponent</c>.</summary>
    public static Tensor Power(this Tensor a, double exponent)
    {
        using Scalar value = exponent.ToScalar();
        return a.pow(value);
    }

    /// <summary><c>max(a, min)</c> element-wise.</summary>
    public static Tensor AtLeast(this Tensor a, double min)
    {
        using Scalar value = min.ToScalar();
        return a.clamp_min(value);
    }

    /// <summary>Fills <paramref name="a"/> with <paramref name="value"/>, in place.</summary>
    public static Tensor FillWith(this Tensor a, double value)
    {
        using Scalar held = value.ToScalar();
        return a.fill_(held);
    }

    /// <summary><c>a</c> with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor FilledWhere(this Tensor a, Tensor mask, double value)
    {
        using Scalar held = value.ToScalar();
        return a.masked_fill(mask, held);
    }

    /// <summary>Where <paramref name="a"/> equals <paramref name="value"/>.</summary>
    public static Tensor EqualTo(this Tensor a, double value)
    {
        using Scalar held = value.ToScalar();
        return a.eq(held);
    }

    /// <summary>Where <paramref name="a"/> differs from <paramref name="value"/>.</summary>
    public static Tensor NotEqualTo(this Tensor a, double value)
    {
        using Scalar held = value.ToScalar();
        return a.ne(held);
    }

    /// <summary>A new tensor of <paramref name="size"/> elements, all <paramref name="value"/>.</summary>
    public static Tensor Full(long size, long value, ScalarType dtype)
    {
        using Scalar held = value.ToScalar();
        return full(size, held, dtype);
    }

    /// <summary>A new tensor of <paramref name="shape"/>, all <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, double value)
    {
        using Scalar held = value.ToScalar();
        return full(shape, held);
    }

    /// <summary>Uniform values in [-limit, limit), in place, from uniform values in [0, 1).</summary>
    public static Tensor SpreadToSymmetric(this Tensor unit, double limit)
    {
        using Scalar width = (2 * limit).ToScalar(), low = limit.ToScalar();
        return unit.mul_(width).sub_(low);
    }

    /// <summary><paramref name="a"/> clamped to [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public static Tensor Between(this Tensor a, double low, double high)
    {
        using Scalar heldLow = low.ToScalar(), heldHigh = high.ToScalar();
        return a.clamp(heldLow, heldHigh);
    }

    /// <summary>Where <paramref name="a"/> exceeds <paramref name="value"/>.</summary>
    public static Tensor GreaterThan(this Tensor a, double value)
    {
        using Scalar held = value.ToScalar();
        return a.gt(held);
    }

    /// <summary>A new tensor shaped like <paramref name="like"/>, all <paramref name="value"/>.</summary>
    public static Tensor FullLike(Tensor like, double value)
    {
        using Scalar held = value.ToScalar();
        return full_like(like, held);
    }
}
