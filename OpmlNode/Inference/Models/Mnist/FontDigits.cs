using SkiaSharp;

namespace OpmlNode.Inference.Models.Mnist;

/// <summary>One rendered picture of a digit: its grey pixels (either polarity, any size), class, font and variant.</summary>
public sealed record FontDigit(byte[] Gray, int Width, int Height, int Label, string Font, int Variant);

/// <summary>
/// The robustness set: digits rendered from fonts installed from Debian, the way people draw them: on a canvas of any
/// size, dark on light or light on dark, with a thicker or thinner pen, tilted, sheared, off centre, not filling the
/// canvas, a little blurred and noisy. The model never trains on them; each picture goes through
/// <see cref="DigitPicture.Normalize"/> like an <c>infer --input-png</c> picture. Rendered with SkiaSharp (ScottPlot's
/// renderer); the variations are seeded per (font, digit, variant), so the set is the same on every run.
/// </summary>
public static class FontDigits
{
    /// <summary>Handwriting fonts (Debian package: files), 12 families, 32 faces: the set the targets are for.
    /// (fonts-femkeklaver is left out: its digits are hollow outlines, which nobody draws.)</summary>
    public static readonly (string Package, string[] Files)[] Handwriting =
    [
        ("fonts-comic-neue", ["/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf", "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf",
            "/usr/share/fonts/opentype/comic-neue/ComicNeue-Light.otf", "/usr/share/fonts/opentype/comic-neue/ComicNeue-Italic.otf",
            "/usr/share/fonts/opentype/comic-neue/ComicNeue-BoldItalic.otf", "/usr/share/fonts/opentype/comic-neue/ComicNeue-LightItalic.otf"]),
        ("fonts-dkg-handwriting", ["/usr/share/fonts/truetype/fifthhorseman/dkg.ttf", "/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf",
            "/usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf", "/usr/share/fonts/truetype/fifthhorseman/dkgBI.ttf"]),
        ("fonts-breip", ["/usr/share/fonts/truetype/breip/Breip.ttf", "/usr/share/fonts/truetype/breip/breipfont.ttf"]),
        ("fonts-bwht", ["/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf", "/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf",
            "/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf", "/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf",
            "/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf", "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf"]),
        ("fonts-humor-sans", ["/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"]),
        ("fonts-sjfonts", ["/usr/share/fonts/truetype/sjfonts/Delphine.ttf", "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf"]),
        ("fonts-tomsontalks", ["/usr/share/fonts/truetype/tomsontalks/TomsonTalks.ttf"]),
        ("fonts-rufscript", ["/usr/share/fonts/truetype/rufscript/Rufscript010.ttf"]),
        ("fonts-kristi", ["/usr/share/fonts/truetype/kristi/Kristi.ttf"]),
        ("fonts-klee", ["/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf", "/usr/share/fonts/truetype/klee/KleeOne-SemiBold.ttf"]),
        ("fonts-dancingscript", ["/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf", "/usr/share/fonts/opentype/dancingscript/DancingScript-Bold.otf"]),
        ("fonts-tlwg-purisa-ttf", ["/usr/share/fonts/truetype/tlwg/Purisa.ttf", "/usr/share/fonts/truetype/tlwg/Purisa-Bold.ttf",
            "/usr/share/fonts/truetype/tlwg/Purisa-Oblique.ttf", "/usr/share/fonts/truetype/tlwg/Purisa-BoldOblique.ttf"]),
    ];

    /// <summary>
    /// Printed fonts the digit model trains on beside the sheet (closed 4s, 1s with a flag and a foot, 7s with a bar:
    /// shapes the sheet has few of): every face in these Debian font directories, but symbol, dingbat, maths and script faces.
    /// Disjoint from <see cref="Handwriting"/>.
    /// </summary>
    public static readonly (string Package, string Dir)[] Printed =
    [
        ("fonts-dejavu-core fonts-dejavu-extra", "/usr/share/fonts/truetype/dejavu"),
        ("fonts-liberation2", "/usr/share/fonts/truetype/liberation2"),
        ("fonts-freefont-ttf", "/usr/share/fonts/truetype/freefont"),
        ("fonts-urw-base35", "/usr/share/fonts/opentype/urw-base35"),
        ("fonts-open-sans", "/usr/share/fonts/truetype/open-sans"),
        ("fonts-roboto-unhinted", "/usr/share/fonts/truetype/roboto/unhinted"),
        ("fonts-cantarell", "/usr/share/fonts/opentype/cantarell"),
    ];

    private static readonly string[] NotDigitFaces = ["Math", "Symbol", "D050000L", "Z003"];

    /// <summary>The font files of <see cref="Printed"/> (sorted by path), or an error naming the Debian packages to install.</summary>
    public static IReadOnlyList<string> PrintedFiles()
    {
        var missing = Printed.Where(f => !Directory.Exists(f.Dir)).Select(f => f.Package).ToArray();
        if (missing.Length > 0)
            throw new FileNotFoundException($"printed fonts missing: apt-get install {string.Join(' ', missing)} (deploy/scripts/install-deps.sh installs them)");
        return Printed.SelectMany(f => Directory.EnumerateFiles(f.Dir, "*", SearchOption.AllDirectories))
            .Where(p => p.EndsWith(".ttf", StringComparison.Ordinal) || p.EndsWith(".otf", StringComparison.Ordinal))
            .Where(p => !NotDigitFaces.Any(n => Path.GetFileName(p).Contains(n, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The ten digits of each font as training samples (28×28, fitted and centred like a picture; Index = 10000 +
    /// 10·font + digit). Drawn upright at 128 px without anti-aliasing or hinting, so the pixels depend only on the
    /// font's outlines and the scan converter; everything after (fitting, and each epoch's variation) is our own code.
    /// </summary>
    public static IReadOnlyList<MnistSample> Glyphs(IReadOnlyList<string> fontFiles)
    {
        const int Canvas = 256;
        var samples = new List<MnistSample>();
        using var paint = new SKPaint { Color = SKColors.White, IsAntialias = false };
        using var bitmap = new SKBitmap(new SKImageInfo(Canvas, Canvas, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int f = 0; f < fontFiles.Count; f++)
        {
            using var typeface = SKTypeface.FromFile(fontFiles[f]) ?? throw new InvalidDataException($"{fontFiles[f]}: not a font SkiaSharp reads");
            using var font = new SKFont(typeface, 128) { Edging = SKFontEdging.Alias, Hinting = SKFontHinting.None, Subpixel = false };
            for (int label = 0; label < MnistDigits.Classes; label++)
            {
                using (var canvas = new SKCanvas(bitmap))
                {
                    canvas.Clear(SKColors.Black);
                    canvas.DrawText(label.ToString(System.Globalization.CultureInfo.InvariantCulture), 64, 192, SKTextAlign.Left, font, paint);
                }
                var rgba = bitmap.GetPixelSpan();
                int x0 = Canvas, y0 = Canvas, x1 = -1, y1 = -1;
                for (int y = 0; y < Canvas; y++)
                    for (int x = 0; x < Canvas; x++)
                        if (rgba[4 * (y * Canvas + x)] >= 128) (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
                if (x1 < 0) throw new InvalidDataException($"{fontFiles[f]} has no glyph for '{label}'");
                int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
                var crop = new float[bw * bh];
                for (int y = 0; y < bh; y++)
                    for (int x = 0; x < bw; x++) crop[y * bw + x] = rgba[4 * ((y + y0) * Canvas + x + x0)] >= 128 ? 1 : 0;
                samples.Add(new MnistSample(DigitPicture.FitAndCentre(crop, bw, bh), label, 10000 + 10 * f + label));
            }
        }
        return samples;
    }

    /// <summary>SHA-256 (<see cref="Sha256"/>) of the glyphs the committed models/mnist/mnist.opml was trained on (Debian bookworm's fonts, SkiaSharp 3).</summary>
    public const string KnownGlyphsSha256 = "aedca76d6e3fa661a721f48dbf6b2b9b80546ca76d66fb7c79c6262abdf4045d";

    /// <summary>SHA-256 of the glyph samples' pixels in order: what a rebuild compares when the model bytes differ.</summary>
    public static string Sha256(IReadOnlyList<MnistSample> glyphs)
    {
        using var h = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var g in glyphs) { h.AppendData(g.Pixels); h.AppendData([(byte)g.Label]); }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>Variants rendered per font and digit by default.</summary>
    public const int DefaultVariants = 6;

    /// <summary>The font files of <see cref="Handwriting"/>, or an error naming the Debian packages to install.</summary>
    public static IReadOnlyList<string> HandwritingFiles()
    {
        var missing = Handwriting.Where(f => f.Files.Any(p => !File.Exists(p))).Select(f => f.Package).ToArray();
        if (missing.Length > 0)
            throw new FileNotFoundException($"handwriting fonts missing: apt-get install {string.Join(' ', missing)} (deploy/scripts/install-deps.sh installs them)");
        return Handwriting.SelectMany(f => f.Files).ToArray();
    }

    /// <summary>Every font × digit × variant, in that order.</summary>
    public static IEnumerable<FontDigit> Render(IReadOnlyList<string> fontFiles, int variants = DefaultVariants, ulong seed = 1)
    {
        for (int f = 0; f < fontFiles.Count; f++)
        {
            using var typeface = SKTypeface.FromFile(fontFiles[f]) ?? throw new InvalidDataException($"{fontFiles[f]}: not a font SkiaSharp reads");
            for (int label = 0; label < MnistDigits.Classes; label++)
                for (int v = 0; v < variants; v++)
                    yield return RenderOne(typeface, Path.GetFileNameWithoutExtension(fontFiles[f]), label, v,
                        new MnistRandom(seed ^ ((ulong)f << 40) ^ ((ulong)label << 20) ^ (ulong)v));
        }
    }

    private static FontDigit RenderOne(SKTypeface typeface, string fontName, int label, int variant, MnistRandom rng)
    {
        int w = 40 + rng.NextInt(161), h = 40 + rng.NextInt(161);
        bool darkOnLight = rng.NextInt(2) == 0;
        byte bg = (byte)(darkOnLight ? 170 + rng.NextInt(86) : rng.NextInt(60));
        byte fg = (byte)(darkOnLight ? rng.NextInt(80) : 190 + rng.NextInt(66));
        double height = Math.Min(w, h) * (0.35 + 0.45 * rng.NextDouble()); // the digit does not fill its canvas
        float angle = (float)((2 * rng.NextDouble() - 1) * 15);
        float shear = (float)((2 * rng.NextDouble() - 1) * 0.25);
        double penChoice = rng.NextDouble();
        using var font = new SKFont(typeface, 100);
        var text = label.ToString(System.Globalization.CultureInfo.InvariantCulture);
        font.MeasureText(text, out var bounds);
        if (bounds.Height <= 0) throw new InvalidDataException($"{fontName} has no glyph for '{text}'");
        float size = (float)(100 * height / bounds.Height);
        font.Size = size;
        font.MeasureText(text, out bounds);
        using var paint = new SKPaint { Color = new SKColor(fg, fg, fg), IsAntialias = true };
        if (penChoice < 0.4) { paint.Style = SKPaintStyle.StrokeAndFill; paint.StrokeWidth = (float)(size * (0.02 + 0.06 * rng.NextDouble())); }
        double blur = rng.NextDouble() < 0.4 ? 0.4 + 0.8 * rng.NextDouble() : 0;
        if (blur > 0) paint.MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, (float)blur);
        // the digit's centre somewhere its box still fits (roughly; a rotated box may touch the edge)
        double room = Math.Max(0, Math.Min(w, h) - 1.3 * Math.Max(bounds.Width, bounds.Height)) / 2;
        float cx = (float)(w / 2.0 + (2 * rng.NextDouble() - 1) * room), cy = (float)(h / 2.0 + (2 * rng.NextDouble() - 1) * room);

        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(bg, bg, bg));
            canvas.Translate(cx, cy);
            canvas.RotateDegrees(angle);
            canvas.Skew(shear, 0);
            canvas.DrawText(text, -bounds.MidX, -bounds.MidY, SKTextAlign.Left, font, paint);
        }
        var rgba = bitmap.GetPixelSpan();
        var gray = new byte[w * h];
        int noise = rng.NextDouble() < 0.5 ? 4 + rng.NextInt(16) : 0;
        for (int i = 0; i < gray.Length; i++)
        {
            int v = rgba[4 * i];
            if (noise > 0) v += rng.NextInt(2 * noise + 1) - noise;
            gray[i] = (byte)Math.Clamp(v, 0, 255);
        }
        return new FontDigit(gray, w, h, label, fontName, variant);
    }
}
