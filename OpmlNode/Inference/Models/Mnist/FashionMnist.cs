using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace OpmlNode.Inference.Models.Mnist;

/// <summary>
/// Zalando's Fashion-MNIST (Debian package <c>dataset-fashion-mnist</c>, <c>/usr/share/datasets/fashion-mnist</c>):
/// 60,000 training and 10,000 test images of clothes, 28×28 grey, white on black like MNIST, in ten classes, as
/// gzipped IDX files. The official split is used as it is.
/// </summary>
public static class FashionMnist
{
    public const string DefaultDir = "/usr/share/datasets/fashion-mnist";
    public const string Architecture = "mlp/fashion-mnist";

    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>SHA-256 of the four files (in <see cref="Files"/> order, each file's hash concatenated) of dataset-fashion-mnist 0.0~git20200523.55506a9-1 (bookworm).</summary>
    public const string KnownSha256 = "47870aecc7bc3dde9a497b176d53970814bafb3ced8b37fd4255f88442bc39b1";

    private static readonly string[] Files =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    /// <summary>The directory's fingerprint: SHA-256 over the four files' SHA-256s.</summary>
    public static string Sha256(string dir) =>
        Convert.ToHexStringLower(SHA256.HashData(Files.SelectMany(f => SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, f)))).ToArray()));

    /// <summary>The training and test splits, in file order (Index = position in its file; test indices + 60,000).</summary>
    public static (IReadOnlyList<MnistSample> Train, IReadOnlyList<MnistSample> Test) Load(string dir)
    {
        var missing = Files.Where(f => !File.Exists(Path.Combine(dir, f))).ToArray();
        if (missing.Length > 0)
            throw new FileNotFoundException($"{dir}: {string.Join(", ", missing)} missing (apt-get install dataset-fashion-mnist; deploy/scripts/install-deps.sh installs it)");
        var train = Read(Path.Combine(dir, Files[0]), Path.Combine(dir, Files[1]), 0);
        var test = Read(Path.Combine(dir, Files[2]), Path.Combine(dir, Files[3]), train.Count);
        return (train, test);
    }

    private static IReadOnlyList<MnistSample> Read(string imagesPath, string labelsPath, int firstIndex)
    {
        var images = Gunzip(imagesPath);
        var labels = Gunzip(labelsPath);
        if (images.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(images) != 0x803)
            throw new InvalidDataException($"{imagesPath} is not an IDX image file (magic 0x00000803)");
        if (labels.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(labels) != 0x801)
            throw new InvalidDataException($"{labelsPath} is not an IDX label file (magic 0x00000801)");
        int n = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4)), rows = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8)),
            cols = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12)), nl = BinaryPrimitives.ReadInt32BigEndian(labels.AsSpan(4));
        if (rows != MnistImage.Side || cols != MnistImage.Side) throw new InvalidDataException($"{imagesPath}: images are {rows}×{cols}, not 28×28");
        if (n != nl || images.Length != 16 + (long)n * MnistImage.Pixels || labels.Length != 8 + n)
            throw new InvalidDataException($"{imagesPath}, {labelsPath}: {n} images and {nl} labels, or truncated files");
        var samples = new MnistSample[n];
        for (int i = 0; i < n; i++)
        {
            int label = labels[8 + i];
            if (label >= ClassNames.Length) throw new InvalidDataException($"{labelsPath}: label {label} at {i} is not 0..9");
            samples[i] = new MnistSample(images.AsSpan(16 + i * MnistImage.Pixels, MnistImage.Pixels).ToArray(), label, firstIndex + i);
        }
        return samples;
    }

    private static byte[] Gunzip(string path)
    {
        try
        {
            using var z = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var m = new MemoryStream();
            z.CopyTo(m);
            return m.ToArray();
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path} is not a gzip file ({e.Message})"); }
    }
}
