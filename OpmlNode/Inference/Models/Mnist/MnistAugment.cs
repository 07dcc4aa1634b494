namespace OpmlNode.Inference.Models.Mnist;

/// <summary>
/// How training digits are varied so the model reads digits people draw, not only the sheet's thin, same-pen, same-size
/// strokes. The defaults train the committed models/mnist/mnist.opml.
/// </summary>
public sealed record MnistAugmentOptions
{
    /// <summary>Long side of the digit's box after scaling, drawn uniformly from [Min, Max] pixels.</summary>
    public double MinBox { get; init; } = 12;
    public double MaxBox { get; init; } = 20;
    public double MaxRotationDegrees { get; init; } = 15;
    /// <summary>Horizontal shear x += k·y with |k| at most this.</summary>
    public double MaxShear { get; init; } = 0.3;
    /// <summary>Shift of the centre of mass from the image centre, in pixels, each way.</summary>
    public double MaxShift { get; init; } = 3;
    /// <summary>Chances of a thicker pen (grey dilation with a cross or a 3×3 square) and of a thinner one (erosion with a cross).</summary>
    public double ThickCross { get; init; } = 0.25;
    public double ThickSquare { get; init; } = 0.15;
    public double Thin { get; init; } = 0.15;
    public double BlurChance { get; init; } = 0.3;
    public double NoiseChance { get; init; } = 0.3;
    /// <summary>Largest noise added to a pixel (uniform, ± this many grey levels).</summary>
    public int NoiseLevels { get; init; } = 24;
    /// <summary>Chance that a digit is trained as it is on the sheet (only shifted by a pixel), so the sheet's own look stays learnt.</summary>
    public double PlainChance { get; init; } = 0.2;
}

/// <summary>
/// One seeded variation of a 28×28 digit (<see cref="MnistAugmentOptions"/>): pen width, then an affine map (scale,
/// rotation, shear, shift about the centre of mass, bilinear), then blur and noise. Only IEEE basic operations in a
/// fixed order (sine and cosine are a Taylor series of our own), so a seeded training run is the same everywhere.
/// </summary>
public static class MnistAugment
{
    private const int S = MnistImage.Side;

    public static void Apply(ReadOnlySpan<byte> src, MnistAugmentOptions o, MnistRandom rng, Span<byte> dst)
    {
        if (src.Length != MnistImage.Pixels || dst.Length != MnistImage.Pixels) throw new ArgumentException("an MNIST image is 28×28");
        if (rng.NextDouble() < o.PlainChance)
        {
            MnistTrainer.Shift(src, rng.NextInt(3) - 1, rng.NextInt(3) - 1, dst);
            return;
        }
        var img = new float[MnistImage.Pixels];
        for (int i = 0; i < img.Length; i++) img[i] = src[i];
        double pen = rng.NextDouble();
        if (pen < o.ThickCross) img = Morph(img, cross: true, dilate: true);
        else if (pen < o.ThickCross + o.ThickSquare) img = Morph(img, cross: false, dilate: true);
        else if (pen < o.ThickCross + o.ThickSquare + o.Thin) img = Morph(img, cross: true, dilate: false);

        // the digit's box and centre of mass
        int x0 = S, y0 = S, x1 = -1, y1 = -1;
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
            {
                double v = img[y * S + x];
                if (v <= 0) continue;
                mass += v; mx += v * x; my += v * y;
                if (v >= 64) (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
            }
        if (mass == 0 || x1 < 0) { src.CopyTo(dst); return; }
        mx /= mass; my /= mass;
        double side = Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        double scale = (o.MinBox + (o.MaxBox - o.MinBox) * rng.NextDouble()) / side;
        double angle = (2 * rng.NextDouble() - 1) * o.MaxRotationDegrees * Math.PI / 180;
        double shear = (2 * rng.NextDouble() - 1) * o.MaxShear;
        double cx = (S - 1) / 2.0 + (2 * rng.NextDouble() - 1) * o.MaxShift, cy = (S - 1) / 2.0 + (2 * rng.NextDouble() - 1) * o.MaxShift;
        // forward map: p' = c' + R·H·s·(p − m); the inverse samples the source for each target pixel
        double c = Cos(angle), s = Sin(angle);
        // A = R·H·scale = [[c, c·k − s], [s, s·k + c]]·scale; inverse of [[a, b], [d, e]] is [[e, −b], [−d, a]]/(ae − bd)
        double a = c * scale, b = (c * shear - s) * scale, d = s * scale, e = (s * shear + c) * scale;
        double det = a * e - b * d;
        double ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
        var warped = new float[MnistImage.Pixels];
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
            {
                double dx = x - cx, dy = y - cy;
                double sx = mx + ia * dx + ib * dy, sy = my + id * dx + ie * dy;
                warped[y * S + x] = Sample(img, sx, sy);
            }
        if (rng.NextDouble() < o.BlurChance) warped = Blur(warped);
        bool noise = rng.NextDouble() < o.NoiseChance;
        for (int i = 0; i < MnistImage.Pixels; i++)
        {
            double v = warped[i];
            if (noise) v += rng.NextInt(2 * o.NoiseLevels + 1) - o.NoiseLevels;
            dst[i] = (byte)Math.Clamp((int)Math.Round(v, MidpointRounding.ToEven), 0, 255);
        }
    }

    private static float Sample(float[] img, double x, double y)
    {
        if (x <= -1 || y <= -1 || x >= S || y >= S) return 0;
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        double tx = x - x0, ty = y - y0;
        return (float)((1 - ty) * ((1 - tx) * At(img, x0, y0) + tx * At(img, x0 + 1, y0)) + ty * ((1 - tx) * At(img, x0, y0 + 1) + tx * At(img, x0 + 1, y0 + 1)));
    }

    private static float At(float[] img, int x, int y) => x < 0 || y < 0 || x >= S || y >= S ? 0 : img[y * S + x];

    private static float[] Morph(float[] img, bool cross, bool dilate)
    {
        var r = new float[img.Length];
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
            {
                float v = img[y * S + x];
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if (cross && dx != 0 && dy != 0) continue;
                        float n = At(img, x + dx, y + dy);
                        v = dilate ? Math.Max(v, n) : Math.Min(v, n);
                    }
                r[y * S + x] = v;
            }
        return r;
    }

    /// <summary>The separable [1 2 1]/4 blur.</summary>
    private static float[] Blur(float[] img)
    {
        var t = new float[img.Length];
        var r = new float[img.Length];
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                t[y * S + x] = (At(img, x - 1, y) + 2 * img[y * S + x] + At(img, x + 1, y)) / 4;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                r[y * S + x] = (At(t, x, y - 1) + 2 * t[y * S + x] + At(t, x, y + 1)) / 4;
        return r;
    }

    /// <summary>Taylor series to x^11 (|x| ≤ π/4 here: error below 1e-10), in a fixed order.</summary>
    internal static double Sin(double x)
    {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n <= 5; n++) { term = -term * x2 / ((2 * n) * (2 * n + 1)); sum += term; }
        return sum;
    }

    internal static double Cos(double x)
    {
        double x2 = x * x, term = 1, sum = 1;
        for (int n = 1; n <= 6; n++) { term = -term * x2 / ((2 * n - 1) * (2 * n)); sum += term; }
        return sum;
    }
}
