using System.Runtime.Intrinsics;

namespace OpmlNode.Inference.Models.Mnist;

/// <summary>
/// The float kernels of the trainer, written so their results depend only on IEEE-754 basic operations in a fixed
/// order: <see cref="Vector256{T}"/> lanes (the same on every CPU, accelerated or not; no fused multiply-add), a fixed
/// lane reduction, and an <see cref="Exp"/> of our own instead of the C runtime's. So a seeded training run writes the
/// same model bytes on any machine (the committed model can be rebuilt and compared byte for byte).
/// </summary>
public static class FloatMath
{
    /// <summary>Σ a[i]·b[i]: 8 lane-wise partial sums, then lanes 0..7 and the tail added in order.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("length mismatch");
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= a.Length; i += 8)
            acc += Vector256.Create(a.Slice(i, 8)) * Vector256.Create(b.Slice(i, 8));
        float s = 0;
        for (int l = 0; l < 8; l++) s += acc.GetElement(l);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y[i] += alpha·x[i].</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("length mismatch");
        var va = Vector256.Create(alpha);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
            (Vector256.Create(y.Slice(i, 8)) + va * Vector256.Create(x.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }

    private const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10;

    /// <summary>e^x for x ≤ 0 (softmax after subtracting the max) to about 1 ulp, from basic operations only.</summary>
    public static double Exp(double x)
    {
        if (x > 0) throw new ArgumentOutOfRangeException(nameof(x), x, "Exp is used on x ≤ 0 only");
        if (x < -700) return 0;
        double k = Math.Round(x / 0.69314718055994530942);
        double r = x - k * Ln2Hi - k * Ln2Lo; // |r| ≤ ln2 / 2
        double p = InverseFactorials[12];
        for (int n = 11; n >= 0; n--) p = p * r + InverseFactorials[n]; // Σ r^n / n!, Horner
        return Math.ScaleB(p, (int)k);
    }

    private static readonly double[] InverseFactorials = Enumerable.Range(0, 13)
        .Select(n => 1.0 / Enumerable.Range(1, n).Aggregate(1.0, (f, i) => f * i)).ToArray();
}
