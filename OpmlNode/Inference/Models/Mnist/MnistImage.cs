using System.Buffers.Binary;
using System.IO.Compression;
using StbImageSharp;

namespace OpmlNode.Inference.Models.Mnist;

/// <summary>
/// The MNIST image convention of the node (README "MNIST model (digits people draw) and Fashion-MNIST"): a digit is a 28×28 grayscale image, white (255) on
/// black (0), row-major; a 20×20 digit (the OpenCV sheet's cell, MNIST's bounding box) is centred with a 4-pixel black
/// border. The task input is I8 [1, 784] with q = pixel − 128 (black −128, white 127: the whole int8 range; the model
/// folds the zero point −128 into its first bias). PNG files are decoded with StbImageSharp.
/// </summary>
public static class MnistImage
{
    public const int Side = 28, CellSide = 20, Border = (Side - CellSide) / 2, Pixels = Side * Side;

    /// <summary>Zero point of the task input: q = pixel + InputZeroPoint.</summary>
    public const int InputZeroPoint = -128;

    internal static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The task input bytes (I8 [1, 784], q = pixel − 128) of a 28×28 image.</summary>
    public static byte[] ToInput(ReadOnlySpan<byte> pixels28)
    {
        CheckSize(pixels28.Length);
        var q = new byte[Pixels];
        for (int i = 0; i < Pixels; i++) q[i] = (byte)(sbyte)(pixels28[i] + InputZeroPoint);
        return q;
    }

    /// <summary>A 20×20 cell centred in a black 28×28 image.</summary>
    public static byte[] Pad(ReadOnlySpan<byte> cell20)
    {
        if (cell20.Length != CellSide * CellSide) throw new ArgumentException($"a cell is {CellSide}×{CellSide} pixels, got {cell20.Length}");
        var px = new byte[Pixels];
        for (int y = 0; y < CellSide; y++)
            cell20.Slice(y * CellSide, CellSide).CopyTo(px.AsSpan((y + Border) * Side + Border, CellSide));
        return px;
    }

    /// <summary>
    /// A PNG digit as 28×28 pixels: 20×20 (padded) or 28×28, grayscale or colour, any bit depth. Colour becomes
    /// luminance ((77·R + 150·G + 29·B + 128) >> 8), transparency is composited onto black, and an image whose border
    /// is mostly bright (dark digit on a light background) is inverted to MNIST's white-on-black.
    /// </summary>
    public static byte[] FromPng(ReadOnlySpan<byte> png, string name = "image")
    {
        if (png.Length < PngSignature.Length || !png[..PngSignature.Length].SequenceEqual(PngSignature))
            throw new InvalidDataException($"{name} is not a PNG file (no PNG signature)");
        ImageResult img;
        try { img = ImageResult.FromMemory(png.ToArray(), ColorComponents.RedGreenBlueAlpha); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{name} is not a readable PNG ({e.Message})");
        }
        if (img.Width is not (Side or CellSide) || img.Height != img.Width)
            throw new InvalidDataException($"{name} is {img.Width}×{img.Height} pixels; a digit must be {CellSide}×{CellSide} or {Side}×{Side}");
        var gray = new byte[img.Width * img.Height];
        for (int i = 0; i < gray.Length; i++)
        {
            var rgba = img.Data.AsSpan(4 * i, 4);
            int lum = (77 * rgba[0] + 150 * rgba[1] + 29 * rgba[2] + 128) >> 8;
            gray[i] = (byte)((lum * rgba[3] + 127) / 255);
        }
        if (BorderMean(gray, img.Width) > 127)
            for (int i = 0; i < gray.Length; i++) gray[i] = (byte)(255 - gray[i]);
        return img.Width == Side ? gray : Pad(gray);
    }

    /// <summary>The task input of a PNG digit (see <see cref="FromPng"/>).</summary>
    public static byte[] InputFromPng(ReadOnlySpan<byte> png, string name = "image") => ToInput(FromPng(png, name));

    private static double BorderMean(byte[] gray, int side)
    {
        long sum = 0;
        int n = 0;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                if (y == 0 || x == 0 || y == side - 1 || x == side - 1) { sum += gray[y * side + x]; n++; }
        return (double)sum / n;
    }

    /// <summary>
    /// An 8-bit PNG of a width×height image with 1 (gray), 3 (RGB) or 4 (RGBA) interleaved channels: one IDAT, filter 0
    /// on every row. (StbImageSharp only decodes; the few PNGs the node writes need no more than this.)
    /// </summary>
    public static byte[] ToPng(ReadOnlySpan<byte> pixels, int width, int height, int channels = 1)
    {
        byte colourType = channels switch { 1 => 0, 3 => 2, 4 => 6, _ => throw new ArgumentException("channels must be 1, 3 or 4") };
        if (width <= 0 || height <= 0 || pixels.Length != width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes is not {width}×{height}×{channels}");
        int stride = width * channels;
        var raw = new byte[height * (stride + 1)];
        for (int y = 0; y < height; y++) pixels.Slice(y * stride, stride).CopyTo(raw.AsSpan(y * (stride + 1) + 1));
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(raw);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; then colour type, compression 0, filter 0, no interlace
        ihdr[9] = colourType;
        using var png = new MemoryStream();
        png.Write(PngSignature);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typed = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++) typed[i] = (byte)type[i];
        data.CopyTo(typed.AsSpan(4));
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        s.Write(word);
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
        }
        return ~c;
    }

    private static void CheckSize(int n)
    {
        if (n != Pixels) throw new ArgumentException($"an MNIST image is {Side}×{Side} = {Pixels} pixels, got {n}");
    }
}
