using StbImageSharp;

namespace OpmlNode.Inference.Models.Mnist;

/// <summary>
/// Any picture of one digit (a drawing program's canvas, a screenshot, a phone photo of a digit on paper) as the
/// model's 28×28 input, the way MNIST made its digits: find the digit, fit its bounding box into 20×20 keeping the
/// aspect ratio, and place it in 28×28 so that its centre of mass is the image centre. PNG, JPEG, BMP, GIF and TGA
/// are read (StbImageSharp). A 28×28 or 20×20 image is already in the MNIST convention and is taken as it is
/// (<see cref="MnistImage.FromPng"/>).
/// </summary>
public static class DigitPicture
{
    /// <summary>Largest picture read, in pixels (a 50-megapixel photo).</summary>
    public const long MaxPixels = 50_000_000;

    /// <summary>Pictures are area-averaged down to at most this side before the digit is looked for.</summary>
    public const int WorkSide = 256;

    /// <summary>Least contrast (grey levels) between the digit's strokes and the background.</summary>
    public const int MinContrast = 40;

    /// <summary>The 28×28 white-on-black digit of a picture file (see the type summary), or <see cref="InvalidDataException"/> saying why not.</summary>
    public static byte[] FromFile(ReadOnlySpan<byte> file, string name = "image")
    {
        if (file.Length == 0) throw new InvalidDataException($"{name} is empty");
        ImageInfo? info;
        try { info = ImageInfo.FromStream(new MemoryStream(file.ToArray())); }
        catch (Exception e) when (e is not OutOfMemoryException) { info = null; }
        if (info is not { } i)
            throw new InvalidDataException(file.StartsWith(MnistImage.PngSignature) ? $"{name} is not a readable PNG (truncated or damaged)"
                : file.Length > 2 && file[0] == 0xFF && file[1] == 0xD8 ? $"{name} is not a readable JPEG (truncated or damaged)"
                : $"{name} is not a picture this node reads (PNG, JPEG, BMP, GIF or TGA)");
        if ((long)i.Width * i.Height > MaxPixels)
            throw new InvalidDataException($"{name} is {i.Width}×{i.Height} pixels, more than {MaxPixels / 1_000_000} megapixels: scale it down first");
        if (i.Width is MnistImage.Side or MnistImage.CellSide && i.Height == i.Width && file.StartsWith(MnistImage.PngSignature))
            return MnistImage.FromPng(file, name);
        ImageResult img;
        try { img = ImageResult.FromMemory(file.ToArray(), ColorComponents.RedGreenBlueAlpha); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{name} is not a readable picture ({e.Message})");
        }
        return Normalize(Luminance(img.Data, img.Width * img.Height), img.Width, img.Height, name);
    }

    /// <summary>
    /// Grey levels of RGBA pixels. Transparent pixels become the background: white when the visible pixels are dark
    /// (dark strokes on a transparent canvas, as drawing programs save them), else black.
    /// </summary>
    public static byte[] Luminance(ReadOnlySpan<byte> rgba, int pixels)
    {
        var lum = new byte[pixels];
        long visibleSum = 0, visibleCount = 0;
        bool anyTransparent = false;
        for (int i = 0; i < pixels; i++)
        {
            var p = rgba.Slice(4 * i, 4);
            lum[i] = (byte)((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
            if (p[3] < 255) anyTransparent = true;
            if (p[3] >= 128) { visibleSum += lum[i]; visibleCount++; }
        }
        if (!anyTransparent) return lum;
        int background = visibleCount > 0 && visibleSum / visibleCount < 128 ? 255 : 0;
        for (int i = 0; i < pixels; i++)
        {
            int a = rgba[4 * i + 3];
            lum[i] = (byte)((lum[i] * a + background * (255 - a) + 127) / 255);
        }
        return lum;
    }

    /// <summary>
    /// A grey picture (either polarity) as the 28×28 digit: shrink to <see cref="WorkSide"/>, make the strokes bright,
    /// subtract the (possibly uneven) background, threshold (Otsu), keep the largest stroke component and the pieces
    /// near it, then fit and centre as MNIST did.
    /// </summary>
    public static byte[] Normalize(byte[] gray, int width, int height, string name = "image")
    {
        if (width <= 0 || height <= 0 || gray.Length != width * height) throw new ArgumentException($"{gray.Length} pixels is not {width}×{height}");
        if (width < 8 || height < 8) throw new InvalidDataException($"{name} is {width}×{height} pixels: too small to find a digit in (at least 8×8)");
        var (img, w, h) = Shrink(gray, width, height, WorkSide);
        if (BorderMedian(img, w, h) > 127)
            for (int i = 0; i < img.Length; i++) img[i] = (byte)(255 - img[i]);
        var ink = SubtractBackground(img, w, h);
        int max = 0;
        foreach (var v in ink) max = Math.Max(max, v);
        if (max < MinContrast)
            throw new InvalidDataException($"{name}: no digit found (the strokes differ from the background by at most {max} grey levels; at least {MinContrast} are needed)");
        int threshold = Math.Max(Otsu(ink), max / 4);
        var mask = new bool[ink.Length];
        for (int i = 0; i < ink.Length; i++) mask[i] = ink[i] > threshold;
        var (x0, y0, x1, y1) = DigitBox(mask, w, h, name);

        // ink inside the chosen components' box, stretched so the strokes' bright part is white
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        var strokes = new List<int>();
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
                if (mask[y * w + x]) strokes.Add(ink[y * w + x]);
        strokes.Sort();
        int white = Math.Max(1, strokes[(int)(0.9 * (strokes.Count - 1))]);
        var crop = new float[bw * bh];
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++)
            {
                int v = ink[(y + y0) * w + x + x0];
                crop[y * bw + x] = Math.Min(1f, Math.Max(0, v - threshold / 2) / (float)Math.Max(1, white - threshold / 2));
            }
        return FitAndCentre(crop, bw, bh);
    }

    /// <summary>The box of the largest component not touching the border (else the largest) and of the pieces beside it.</summary>
    private static (int X0, int Y0, int X1, int Y1) DigitBox(bool[] mask, int w, int h, string name)
    {
        var label = new int[mask.Length];
        var comps = new List<(int Area, int X0, int Y0, int X1, int Y1, bool Border)>();
        var stack = new Stack<int>();
        for (int start = 0; start < mask.Length; start++)
        {
            if (!mask[start] || label[start] != 0) continue;
            int id = comps.Count + 1, area = 0, cx0 = w, cy0 = h, cx1 = 0, cy1 = 0;
            label[start] = id;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop(), px = p % w, py = p / w;
                area++;
                (cx0, cy0, cx1, cy1) = (Math.Min(cx0, px), Math.Min(cy0, py), Math.Max(cx1, px), Math.Max(cy1, py));
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = px + dx, ny = py + dy;
                        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                        int q = ny * w + nx;
                        if (mask[q] && label[q] == 0) { label[q] = id; stack.Push(q); }
                    }
            }
            comps.Add((area, cx0, cy0, cx1, cy1, cx0 == 0 || cy0 == 0 || cx1 == w - 1 || cy1 == h - 1));
        }
        var inner = comps.Where(c => !c.Border).ToList();
        var main = (inner.Count > 0 ? inner : comps).MaxBy(c => c.Area);
        if (main.Area < 6 || Math.Max(main.X1 - main.X0, main.Y1 - main.Y0) < 4)
            throw new InvalidDataException($"{name}: no digit found (the largest mark is {main.X1 - main.X0 + 1}×{main.Y1 - main.Y0 + 1} pixels of {w}×{h})");
        // a digit drawn in several strokes (a 5's flag, a broken 4): pieces of some size within a margin of the main one
        int margin = Math.Max(2, Math.Max(main.X1 - main.X0, main.Y1 - main.Y0) / 4);
        var (x0, y0, x1, y1) = (main.X0, main.Y0, main.X1, main.Y1);
        foreach (var c in comps)
            if (!c.Border && c.Area * 20 >= main.Area && c.X1 >= main.X0 - margin && c.X0 <= main.X1 + margin && c.Y1 >= main.Y0 - margin && c.Y0 <= main.Y1 + margin)
                (x0, y0, x1, y1) = (Math.Min(x0, c.X0), Math.Min(y0, c.Y0), Math.Max(x1, c.X1), Math.Max(y1, c.Y1));
        return (x0, y0, x1, y1);
    }

    /// <summary>The strokes (0..1, any box) fitted into 20×20 keeping the aspect ratio, centred by mass in 28×28.</summary>
    public static byte[] FitAndCentre(float[] crop, int bw, int bh)
    {
        const int Box = MnistImage.CellSide, S = MnistImage.Side;
        double scale = (double)Box / Math.Max(bw, bh);
        int ow = Math.Max(1, (int)Math.Round(bw * scale)), oh = Math.Max(1, (int)Math.Round(bh * scale));
        var fitted = Resample(crop, bw, bh, ow, oh);
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) { double v = fitted[y * ow + x]; mass += v; mx += v * x; my += v * y; }
        // top-left so that the centre of mass lands on the centre (13.5, 13.5) of the 28×28 image
        int left = mass > 0 ? (int)Math.Round((S - 1) / 2.0 - mx / mass) : (S - ow) / 2;
        int top = mass > 0 ? (int)Math.Round((S - 1) / 2.0 - my / mass) : (S - oh) / 2;
        left = Math.Clamp(left, 0, S - ow);
        top = Math.Clamp(top, 0, S - oh);
        var px = new byte[MnistImage.Pixels];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                px[(y + top) * S + x + left] = (byte)Math.Clamp((int)Math.Round(255 * fitted[y * ow + x]), 0, 255);
        return px;
    }

    /// <summary>Area-weighted resampling (each output pixel averages the source area it covers; bilinear when enlarging).</summary>
    private static float[] Resample(float[] src, int sw, int sh, int dw, int dh)
    {
        var dst = new float[dw * dh];
        double fx = (double)sw / dw, fy = (double)sh / dh;
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++)
            {
                if (fx <= 1 && fy <= 1)
                {
                    dst[y * dw + x] = (float)Bilinear(src, sw, sh, (x + 0.5) * fx - 0.5, (y + 0.5) * fy - 0.5);
                    continue;
                }
                double sx0 = x * fx, sx1 = (x + 1) * fx, sy0 = y * fy, sy1 = (y + 1) * fy, sum = 0;
                for (int sy = (int)sy0; sy < Math.Min(sh, (int)Math.Ceiling(sy1)); sy++)
                {
                    double wy = Math.Min(sy + 1, sy1) - Math.Max(sy, sy0);
                    for (int sx = (int)sx0; sx < Math.Min(sw, (int)Math.Ceiling(sx1)); sx++)
                        sum += wy * (Math.Min(sx + 1, sx1) - Math.Max(sx, sx0)) * src[sy * sw + sx];
                }
                dst[y * dw + x] = (float)(sum / (fx * fy));
            }
        return dst;
    }

    private static double Bilinear(float[] src, int w, int h, double x, double y)
    {
        x = Math.Clamp(x, 0, w - 1);
        y = Math.Clamp(y, 0, h - 1);
        int x0 = (int)x, y0 = (int)y, x1 = Math.Min(w - 1, x0 + 1), y1 = Math.Min(h - 1, y0 + 1);
        double ax = x - x0, ay = y - y0;
        return (1 - ay) * ((1 - ax) * src[y0 * w + x0] + ax * src[y0 * w + x1]) + ay * ((1 - ax) * src[y1 * w + x0] + ax * src[y1 * w + x1]);
    }

    private static (byte[] Img, int W, int H) Shrink(byte[] gray, int w, int h, int maxSide)
    {
        int f = (Math.Max(w, h) + maxSide - 1) / maxSide;
        if (f <= 1) return ((byte[])gray.Clone(), w, h);
        int ow = (w + f - 1) / f, oh = (h + f - 1) / f;
        var dst = new byte[ow * oh];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                int sum = 0, n = 0;
                for (int sy = y * f; sy < Math.Min(h, (y + 1) * f); sy++)
                    for (int sx = x * f; sx < Math.Min(w, (x + 1) * f); sx++) { sum += gray[sy * w + sx]; n++; }
                dst[y * ow + x] = (byte)((sum + n / 2) / n);
            }
        return (dst, ow, oh);
    }

    private static int BorderMedian(byte[] img, int w, int h)
    {
        var border = new List<byte>();
        for (int x = 0; x < w; x++) { border.Add(img[x]); border.Add(img[(h - 1) * w + x]); }
        for (int y = 1; y < h - 1; y++) { border.Add(img[y * w]); border.Add(img[y * w + w - 1]); }
        border.Sort();
        return border[border.Count / 2];
    }

    /// <summary>
    /// Bright strokes over a background that may vary across the picture (a photo's shading): the background at a
    /// pixel is the median of a coarse grid of block medians around it, so strokes (a minority of any block) do not
    /// raise it.
    /// </summary>
    private static byte[] SubtractBackground(byte[] img, int w, int h)
    {
        int block = Math.Max(4, Math.Max(w, h) / 8);
        int gw = (w + block - 1) / block, gh = (h + block - 1) / block;
        var grid = new int[gw * gh];
        var values = new List<byte>();
        for (int gy = 0; gy < gh; gy++)
            for (int gx = 0; gx < gw; gx++)
            {
                values.Clear();
                for (int y = gy * block; y < Math.Min(h, (gy + 1) * block); y++)
                    for (int x = gx * block; x < Math.Min(w, (gx + 1) * block); x++) values.Add(img[y * w + x]);
                values.Sort();
                grid[gy * gw + gx] = values[values.Count / 2];
            }
        // each block's background: the median of its 5×5 block neighbourhood, which outvotes blocks full of strokes
        var smooth = new int[grid.Length];
        var near = new List<int>();
        for (int gy = 0; gy < gh; gy++)
            for (int gx = 0; gx < gw; gx++)
            {
                near.Clear();
                for (int y = Math.Max(0, gy - 2); y <= Math.Min(gh - 1, gy + 2); y++)
                    for (int x = Math.Max(0, gx - 2); x <= Math.Min(gw - 1, gx + 2); x++) near.Add(grid[y * gw + x]);
                near.Sort();
                smooth[gy * gw + gx] = near[near.Count / 2];
            }
        var ink = new byte[img.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // bilinear between block centres
                double gxf = Math.Clamp((x + 0.5) / block - 0.5, 0, gw - 1), gyf = Math.Clamp((y + 0.5) / block - 0.5, 0, gh - 1);
                int ax = (int)gxf, ay = (int)gyf, bx = Math.Min(gw - 1, ax + 1), by = Math.Min(gh - 1, ay + 1);
                double tx = gxf - ax, ty = gyf - ay;
                double bg = (1 - ty) * ((1 - tx) * smooth[ay * gw + ax] + tx * smooth[ay * gw + bx]) + ty * ((1 - tx) * smooth[by * gw + ax] + tx * smooth[by * gw + bx]);
                ink[y * w + x] = (byte)Math.Clamp((int)Math.Round(img[y * w + x] - bg), 0, 255);
            }
        return ink;
    }

    /// <summary>Otsu's threshold of a grey histogram: the level that best splits it into two classes.</summary>
    private static int Otsu(byte[] img)
    {
        var hist = new long[256];
        foreach (var v in img) hist[v]++;
        double total = img.Length, sumAll = 0;
        for (int i = 0; i < 256; i++) sumAll += i * (double)hist[i];
        double wB = 0, sumB = 0, best = -1;
        int level = 0;
        for (int t = 0; t < 256; t++)
        {
            wB += hist[t];
            if (wB == 0) continue;
            double wF = total - wB;
            if (wF == 0) break;
            sumB += t * (double)hist[t];
            double mB = sumB / wB, mF = (sumAll - sumB) / wF, between = wB * wF * (mB - mF) * (mB - mF);
            if (between > best) { best = between; level = t; }
        }
        return level;
    }
}
