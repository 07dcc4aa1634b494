using System.Security.Cryptography;
using StbImageSharp;

namespace OpmlNode.Inference.Models.Mnist;

/// <summary>One digit: its 28×28 pixels (white on black), its class, and its cell number on the sheet (row·100 + column).</summary>
public sealed record MnistSample(byte[] Pixels, int Label, int Index);

/// <summary>
/// The 5,000 MNIST digits of OpenCV's <c>samples/data/digits.png</c> (Debian package <c>opencv-doc</c>,
/// <c>/usr/share/doc/opencv-doc/examples/data/digits.png</c>): a 2000×1000 grayscale sheet of 50 rows × 100 digits of
/// 20×20 pixels, rows 5c..5c+4 holding class c (500 digits per class). Each cell is centred in 28×28 (<see cref="MnistImage"/>).
/// </summary>
public static class MnistDigits
{
    public const int Classes = 10, Columns = 100, Rows = 50, PerClass = 500;
    public const int SheetWidth = Columns * MnistImage.CellSide, SheetHeight = Rows * MnistImage.CellSide;

    /// <summary>SHA-256 of the sheet in opencv-doc 4.6.0+dfsg-12 (Debian bookworm), the file the committed model was trained on.</summary>
    public const string KnownSha256 = "60c917758ef97cc090f35cd8e293e4de691ef942847da0ff80dedab33d57c662";

    /// <summary>Held-out digits per class of the fixed split (<see cref="Split"/>); the other 400 per class train.</summary>
    public const int TestPerClass = 100;

    /// <summary>Seed of the split, fixed for every training seed so the held-out digits never change.</summary>
    public const ulong SplitSeed = 0x4D4E495354; // "MNIST"

    /// <summary>
    /// Where deploy/scripts/install-deps.sh puts the sheet: <c>$OPML_MNIST_DIGITS</c> if set, else
    /// <c>${XDG_CACHE_HOME:-$HOME/.cache}/opml-node/mnist/digits.png</c>.
    /// </summary>
    public static string DefaultPath()
    {
        var env = Environment.GetEnvironmentVariable("OPML_MNIST_DIGITS");
        if (!string.IsNullOrEmpty(env)) return env;
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache)) cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "opml-node", "mnist", "digits.png");
    }

    /// <summary>The sheet file's SHA-256 (hex, lower case).</summary>
    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Loads the 5,000 digits in sheet order (index = row·100 + column, label = row / 5).</summary>
    public static IReadOnlyList<MnistSample> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var bytes = File.ReadAllBytes(path);
        ImageResult sheet;
        try { sheet = ImageResult.FromMemory(bytes, ColorComponents.Grey); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path} is not a readable image ({e.Message}); expected OpenCV's digits.png");
        }
        if (sheet.Width != SheetWidth || sheet.Height != SheetHeight)
            throw new InvalidDataException($"{path} is {sheet.Width}×{sheet.Height}; OpenCV's digits.png is {SheetWidth}×{SheetHeight} (50 rows of 100 digits of 20×20)");
        var samples = new MnistSample[Rows * Columns];
        var cell = new byte[MnistImage.CellSide * MnistImage.CellSide];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++)
            {
                for (int y = 0; y < MnistImage.CellSide; y++)
                    sheet.Data.AsSpan((r * MnistImage.CellSide + y) * SheetWidth + c * MnistImage.CellSide, MnistImage.CellSide)
                        .CopyTo(cell.AsSpan(y * MnistImage.CellSide));
                samples[r * Columns + c] = new MnistSample(MnistImage.Pad(cell), r / (Rows / Classes), r * Columns + c);
            }
        return samples;
    }

    /// <summary>
    /// The fixed split: per class, the 500 digits shuffled with <see cref="SplitSeed"/>; the first
    /// <see cref="TestPerClass"/> are held out. Both lists are in sheet order.
    /// </summary>
    public static (IReadOnlyList<MnistSample> Train, IReadOnlyList<MnistSample> Test) Split(IReadOnlyList<MnistSample> all)
    {
        if (all.Count != Rows * Columns) throw new ArgumentException($"expected {Rows * Columns} digits, got {all.Count}");
        var rng = new MnistRandom(SplitSeed);
        var test = new bool[all.Count];
        for (int label = 0; label < Classes; label++)
        {
            var ids = Enumerable.Range(0, all.Count).Where(i => all[i].Label == label).ToArray();
            rng.Shuffle(ids.AsSpan());
            foreach (var i in ids.Take(TestPerClass)) test[i] = true;
        }
        return (all.Where(s => !test[s.Index]).ToArray(), all.Where(s => test[s.Index]).ToArray());
    }
}
