using SkiaSharp;

namespace OpmlNode.Tests.Mnist;

/// <summary>
/// Digits drawn as a person draws them in a paint program or on paper: pen strokes (SVG path data on a 100×100 grid),
/// not font glyphs, rendered with SkiaSharp at any size, position, pen width and colours, as PNG or JPEG.
/// </summary>
public static class DrawnDigits
{
    /// <summary>One plain way to draw each digit, 0..9.</summary>
    public static readonly string[] Strokes =
    [
        "M 50 12 C 22 12 22 88 50 88 C 78 88 78 12 50 12 Z",
        "M 54 12 L 46 88",
        "M 26 32 C 28 8 76 8 72 34 C 68 52 40 66 24 88 L 80 86",
        "M 26 20 C 50 6 78 16 70 36 C 64 48 50 50 42 50 C 62 50 80 58 74 74 C 68 92 38 92 24 80",
        "M 30 12 L 22 60 L 80 60 M 64 28 L 62 90",
        "M 74 14 L 34 14 L 30 46 C 52 34 76 44 74 66 C 72 90 40 92 24 80",
        "M 68 12 C 44 24 26 48 28 70 C 30 90 66 92 72 72 C 76 54 50 46 30 62",
        "M 22 16 L 78 16 L 44 88",
        "M 50 50 C 20 42 26 12 50 12 C 74 12 80 42 50 50 C 16 58 24 90 50 90 C 76 90 84 58 50 50 Z",
        "M 72 36 C 72 10 30 10 30 34 C 30 56 70 54 72 36 L 66 88",
    ];

    /// <summary>The digit's strokes on a canvas of width × height: scaled by <paramref name="size"/> (pixels per 100 grid units), centred at (cx, cy).</summary>
    public static SKBitmap Draw(int digit, int width, int height, float size, float cx, float cy, float pen,
        SKColor paper, SKColor ink, float rotateDegrees = 0)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(paper);
        using var path = SKPath.ParseSvgPathData(Strokes[digit]);
        using var paint = new SKPaint { Color = ink, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = pen, StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round };
        canvas.Translate(cx, cy);
        canvas.RotateDegrees(rotateDegrees);
        canvas.Scale(size / 100);
        canvas.Translate(-50, -50);
        paint.StrokeWidth = pen * 100 / size;
        canvas.DrawPath(path, paint);
        return bitmap;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 90)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>
    /// A phone photo of a digit written in blue ink on paper: unevenly lit paper (a gradient), a dark table along one
    /// edge, sensor noise, 1200×900 JPEG.
    /// </summary>
    public static byte[] Photo(int digit, int seed)
    {
        const int W = 1200, H = 900;
        var rng = new Random(seed);
        using var bitmap = Draw(digit, W, H, 330, 620 + rng.Next(-80, 80), 450 + rng.Next(-60, 60), 26,
            SKColors.White, new SKColor(30, 40, 120), rng.Next(-10, 10));
        var px = bitmap.GetPixelSpan();
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int i = 4 * (y * W + x);
                double light = x < 90 ? 0.25 : 0.62 + 0.3 * x / W - 0.12 * y / H; // the table, then paper lit from the right
                int n = rng.Next(-8, 9);
                px[i] = (byte)Math.Clamp(px[i] * light * 1.0 + n, 0, 255);
                px[i + 1] = (byte)Math.Clamp(px[i + 1] * light * 0.97 + n, 0, 255);
                px[i + 2] = (byte)Math.Clamp(px[i + 2] * light * 0.9 + n, 0, 255);
            }
        return Encode(bitmap, SKEncodedImageFormat.Jpeg, 80);
    }
}
