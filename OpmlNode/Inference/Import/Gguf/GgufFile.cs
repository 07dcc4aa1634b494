using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;
using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// A GGUF file (llama.cpp's format, versions 2 and 3): header, metadata key/values (every value type, arrays
/// included), tensor infos and, on demand, tensor data dequantised to float (F32, F16, Q8_0). Layout: magic "GGUF",
/// version u32, tensor count u64, KV count u64, the KVs (string key = u64 length + UTF-8, u32 type, value), the
/// tensor infos (name, u32 n_dims, u64 dims fastest first, u32 type, u64 offset), padding to
/// <c>general.alignment</c> (default 32), then the data section. Every defect (truncation, bad magic, an
/// unsupported tensor type, offsets out of range) is an <see cref="InvalidModelException"/> whose message starts
/// "GGUF:"; nothing is trusted before it is bounds-checked.
/// </summary>
public sealed class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" little-endian
    public const int DefaultAlignment = 32;
    private const int MaxDims = 4;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, GgufTensorInfo> _byName = new(StringComparer.Ordinal);

    private GgufFile(string path, SafeFileHandle handle, long length)
    {
        Path = path;
        _handle = handle;
        FileLength = length;
    }

    public string Path { get; }
    public long FileLength { get; }
    public uint Version { get; private set; }
    public int Alignment { get; private set; } = DefaultAlignment;
    /// <summary>Offset of the data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; private set; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; private set; } = new Dictionary<string, GgufValue>();
    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; private set; } = [];

    public static GgufFile Open(string path)
    {
        var fi = new FileInfo(path);
        if (!fi.Exists) throw new InvalidModelException($"{path}: no such file");
        var handle = File.OpenHandle(fi.FullName, FileMode.Open, FileAccess.Read, FileShare.Read);
        var file = new GgufFile(fi.FullName, handle, fi.Length);
        try
        {
            using var stream = new FileStream(fi.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            file.Parse(new Cursor(stream, fi.Length));
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    public bool TryGetTensor(string name, out GgufTensorInfo info) => _byName.TryGetValue(name, out info!);

    public GgufTensorInfo Tensor(string name) =>
        _byName.TryGetValue(name, out var t) ? t : throw new InvalidModelException($"GGUF: missing tensor {name}");

    /// <summary>The tensor's raw bytes as stored.</summary>
    public byte[] ReadBytes(GgufTensorInfo t)
    {
        var buf = new byte[t.ByteLength];
        int got = RandomAccess.Read(_handle, buf, DataOffset + t.Offset);
        if (got != buf.Length) throw new InvalidModelException($"GGUF: truncated: tensor {t.Name} ends past the end of the file");
        return buf;
    }

    /// <summary>The tensor dequantised to float, in storage order (ggml dims fastest first = PyTorch row-major).</summary>
    public float[] ReadFloats(string name)
    {
        var t = Tensor(name);
        return GgufDequant.ToFloats(t.Type, ReadBytes(t), t.ElementCount);
    }

    // ---------------------------------------------------------------- metadata accessors

    public bool Has(string key) => Metadata.ContainsKey(key);

    public GgufValue Get(string key) =>
        Metadata.TryGetValue(key, out var v) ? v : throw new InvalidModelException($"GGUF: missing key {key}");

    public string GetString(string key)
    {
        var v = Get(key);
        return v.Value as string ?? throw new InvalidModelException($"GGUF: key {key} is {v.Type}, expected a string");
    }

    public long GetInteger(string key)
    {
        var v = Get(key);
        if (!v.IsInteger) throw new InvalidModelException($"GGUF: key {key} is {v.Type}, expected an integer");
        return v.Value is ulong u ? (u > long.MaxValue ? throw new InvalidModelException($"GGUF: key {key} = {u} is out of range") : (long)u) : (long)v.Value;
    }

    public double GetFloat(string key)
    {
        var v = Get(key);
        if (v.IsFloat) return (double)v.Value;
        if (v.IsInteger) return GetInteger(key);
        throw new InvalidModelException($"GGUF: key {key} is {v.Type}, expected a number");
    }

    public IReadOnlyList<GgufValue> GetArray(string key)
    {
        var v = Get(key);
        return v.Type == GgufValueType.Array ? v.Items : throw new InvalidModelException($"GGUF: key {key} is {v.Type}, expected an array");
    }

    // ---------------------------------------------------------------- parsing

    private void Parse(Cursor c)
    {
        if (FileLength < 4) throw new InvalidModelException($"GGUF: truncated: the file is {FileLength} bytes");
        uint magic = c.U32("magic");
        if (magic != Magic) throw new InvalidModelException($"GGUF: bad magic 0x{magic:X8} (expected \"GGUF\"): not a GGUF file");
        Version = c.U32("version");
        if (Version is not (2 or 3)) throw new InvalidModelException($"GGUF: version {Version} is not supported (2 or 3)");
        long tensorCount = c.Count("tensor count", 8 + 4 + 4 + 8);
        long kvCount = c.Count("metadata count", 8 + 4 + 1);

        var meta = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            string key = c.String("metadata key");
            var type = (GgufValueType)c.U32($"type of {key}");
            var value = ReadValue(c, type, key, depth: 0);
            if (!meta.TryAdd(key, value)) throw new InvalidModelException($"GGUF: duplicate metadata key {key}");
        }
        Metadata = meta;
        if (meta.TryGetValue("general.alignment", out var align))
        {
            long a = align.IsInteger ? GetInteger("general.alignment") : 0;
            if (a < 1 || a > 1 << 20 || (a & (a - 1)) != 0) throw new InvalidModelException($"GGUF: general.alignment {align} is not a power of two");
            Alignment = (int)a;
        }

        var tensors = new List<GgufTensorInfo>();
        for (long i = 0; i < tensorCount; i++)
        {
            string name = c.String("tensor name");
            uint nDims = c.U32($"rank of tensor {name}");
            if (nDims is < 1 or > MaxDims) throw new InvalidModelException($"GGUF: tensor {name} has rank {nDims} (1..{MaxDims})");
            var dims = new long[nDims];
            for (int d = 0; d < nDims; d++)
            {
                ulong n = c.U64($"dims of tensor {name}");
                if (n < 1 || n > int.MaxValue) throw new InvalidModelException($"GGUF: tensor {name} has dimension {n}");
                dims[d] = (long)n;
            }
            uint type = c.U32($"type of tensor {name}");
            if (!Enum.IsDefined(typeof(GgufTensorType), type))
                throw new InvalidModelException($"GGUF: tensor {name} has type {GgmlTypeName(type)} ({type}); supported: F32, F16, Q8_0");
            ulong offset = c.U64($"offset of tensor {name}");
            var info = new GgufTensorInfo(name, dims, (GgufTensorType)type, offset > long.MaxValue ? long.MaxValue : (long)offset);
            if (info.ElementCount > 1L << 34) throw new InvalidModelException($"GGUF: tensor {name} has {info.ElementCount} elements");
            if (info.Type == GgufTensorType.Q8_0 && dims[0] % GgufDequant.Q8Block != 0)
                throw new InvalidModelException($"GGUF: Q8_0 tensor {name} has rows of {dims[0]} elements, not a multiple of {GgufDequant.Q8Block}");
            if (info.Offset % Alignment != 0) throw new InvalidModelException($"GGUF: tensor {name} offset {offset} is not a multiple of the alignment {Alignment}");
            if (!_byName.TryAdd(name, info)) throw new InvalidModelException($"GGUF: duplicate tensor {name}");
            tensors.Add(info);
        }
        Tensors = tensors;
        DataOffset = (c.Position + Alignment - 1) / Alignment * Alignment;
        foreach (var t in tensors)
            if (t.Offset > FileLength || DataOffset + t.Offset + t.ByteLength > FileLength)
                throw new InvalidModelException($"GGUF: truncated: tensor {t.Name} ({t.ByteLength} bytes at data offset {t.Offset}) ends past the end of the {FileLength}-byte file");
        var sorted = tensors.OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i - 1].Offset + sorted[i - 1].ByteLength > sorted[i].Offset)
                throw new InvalidModelException($"GGUF: tensors {sorted[i - 1].Name} and {sorted[i].Name} overlap");
    }

    private static GgufValue ReadValue(Cursor c, GgufValueType type, string key, int depth) => type switch
    {
        GgufValueType.UInt8 => new(type, (long)c.Bytes(1, key)[0]),
        GgufValueType.Int8 => new(type, (long)(sbyte)c.Bytes(1, key)[0]),
        GgufValueType.UInt16 => new(type, (long)BinaryPrimitives.ReadUInt16LittleEndian(c.Bytes(2, key))),
        GgufValueType.Int16 => new(type, (long)BinaryPrimitives.ReadInt16LittleEndian(c.Bytes(2, key))),
        GgufValueType.UInt32 => new(type, (long)c.U32(key)),
        GgufValueType.Int32 => new(type, (long)BinaryPrimitives.ReadInt32LittleEndian(c.Bytes(4, key))),
        GgufValueType.UInt64 => new(type, c.U64(key)),
        GgufValueType.Int64 => new(type, BinaryPrimitives.ReadInt64LittleEndian(c.Bytes(8, key))),
        GgufValueType.Float32 => new(type, (double)BinaryPrimitives.ReadSingleLittleEndian(c.Bytes(4, key))),
        GgufValueType.Float64 => new(type, BinaryPrimitives.ReadDoubleLittleEndian(c.Bytes(8, key))),
        GgufValueType.Bool => c.Bytes(1, key)[0] is var b && b <= 1 ? new(type, b == 1) : throw new InvalidModelException($"GGUF: key {key}: bool byte {b}"),
        GgufValueType.String => new(type, c.String(key)),
        GgufValueType.Array => ReadArray(c, key, depth),
        _ => throw new InvalidModelException($"GGUF: key {key} has unknown value type {(uint)type}"),
    };

    private static GgufValue ReadArray(Cursor c, string key, int depth)
    {
        if (depth > 2) throw new InvalidModelException($"GGUF: key {key}: arrays nested too deep");
        var elem = (GgufValueType)c.U32($"element type of {key}");
        if (!Enum.IsDefined(elem)) throw new InvalidModelException($"GGUF: key {key} has unknown array element type {(uint)elem}");
        long n = c.Count($"length of {key}", ElementMinBytes(elem));
        var items = new GgufValue[n];
        for (long i = 0; i < n; i++) items[i] = ReadValue(c, elem, key, depth + 1);
        return new GgufValue(GgufValueType.Array, items, elem);
    }

    private static int ElementMinBytes(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.Array => 12,
        _ => 8,
    };

    /// <summary>ggml's names of the types this reader refuses, for the error message.</summary>
    public static string GgmlTypeName(uint type) => type switch
    {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        30 => "BF16",
        _ => $"type {type}",
    };

    /// <summary>Sequential little-endian reads that turn running off the end into a "truncated" error.</summary>
    private sealed class Cursor(Stream stream, long length)
    {
        private readonly byte[] _small = new byte[8];

        public long Position { get; private set; }

        private long Remaining => length - Position;

        public ReadOnlySpan<byte> Bytes(int n, string what)
        {
            var buf = n <= 8 ? _small : new byte[n];
            Fill(buf.AsSpan(0, n), what);
            return buf.AsSpan(0, n);
        }

        private void Fill(Span<byte> dst, string what)
        {
            if (dst.Length > Remaining) throw new InvalidModelException($"GGUF: truncated while reading {what} at offset {Position} (file is {length} bytes)");
            stream.ReadExactly(dst);
            Position += dst.Length;
        }

        public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

        /// <summary>A u64 count of items of at least <paramref name="minItemBytes"/> each, checked against what is left.</summary>
        public long Count(string what, int minItemBytes)
        {
            ulong n = U64(what);
            if (n > (ulong)Math.Max(0, Remaining) / (ulong)minItemBytes)
                throw new InvalidModelException($"GGUF: truncated or corrupt: {what} {n} does not fit in the {Remaining} bytes left");
            return (long)n;
        }

        public string String(string what)
        {
            ulong n = U64(what);
            if (n > (ulong)Math.Max(0, Remaining)) throw new InvalidModelException($"GGUF: truncated while reading {what}: a string of {n} bytes at offset {Position}");
            var buf = new byte[n];
            Fill(buf, what);
            try
            {
                return new UTF8Encoding(false, true).GetString(buf);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidModelException($"GGUF: {what} at offset {Position - (long)n} is not valid UTF-8");
            }
        }
    }
}
