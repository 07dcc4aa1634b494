using System.Text;
using OpmlNode.Inference.Import.Gguf;

namespace OpmlNode.Tests.Inference.Import.Gguf;

/// <summary>Writes small GGUF v3 files for the reader's tests (F32 tensors unless told otherwise).</summary>
internal sealed class GgufTestWriter
{
    private readonly List<(string Key, GgufValueType Type, Action<BinaryWriter> Write)> _kv = new();
    private readonly List<(string Name, long[] Dims, uint Type, byte[] Data)> _tensors = new();

    public uint Version { get; set; } = 3;

    public GgufTestWriter Str(string key, string value) => Add(key, GgufValueType.String, w => WriteString(w, value));
    public GgufTestWriter U32(string key, uint value) => Add(key, GgufValueType.UInt32, w => w.Write(value));
    public GgufTestWriter F32(string key, float value) => Add(key, GgufValueType.Float32, w => w.Write(value));

    public GgufTestWriter Add(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        _kv.Add((key, type, write));
        return this;
    }

    public GgufTestWriter Strings(string key, IEnumerable<string> values) => Add(key, GgufValueType.Array, w =>
    {
        var list = values.ToList();
        w.Write((uint)GgufValueType.String);
        w.Write((ulong)list.Count);
        foreach (var s in list) WriteString(w, s);
    });

    public GgufTestWriter Tensor(string name, long[] dims, float[] values) =>
        RawTensor(name, dims, (uint)GgufTensorType.F32, values.SelectMany(BitConverter.GetBytes).ToArray());

    public GgufTestWriter RawTensor(string name, long[] dims, uint type, byte[] data)
    {
        _tensors.Add((name, dims, type, data));
        return this;
    }

    public static void WriteString(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write(GgufFile.Magic);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_kv.Count);
        foreach (var (key, type, write) in _kv)
        {
            WriteString(w, key);
            w.Write((uint)type);
            write(w);
        }
        long offset = 0;
        foreach (var (name, dims, type, data) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write((ulong)d);
            w.Write(type);
            w.Write((ulong)offset);
            offset += (data.Length + 31) / 32 * 32;
        }
        while (ms.Length % 32 != 0) w.Write((byte)0);
        foreach (var (_, _, _, data) in _tensors)
        {
            w.Write(data);
            while (ms.Length % 32 != 0) w.Write((byte)0);
        }
        w.Flush();
        return ms.ToArray();
    }

    /// <summary>A complete tiny llama: D = 8, 1 block, 2 heads (1 KV head), FFN 16, vocab 4, context 8; weights seeded.</summary>
    public static GgufTestWriter TinyLlama(int seed = 1, string arch = "llama", string? omitKey = null, string? omitTensor = null)
    {
        var w = new GgufTestWriter();
        var rng = new Random(seed);
        float[] R(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        void Kv(string key, Action add) { if (key != omitKey) add(); }
        void T(string name, long[] dims) { var v = R(dims[0] * dims.Skip(1).Aggregate(1L, (a, d) => a * d)); if (name != omitTensor) w.Tensor(name, dims, v); }
        Kv("general.architecture", () => w.Str("general.architecture", arch));
        Kv("llama.context_length", () => w.U32("llama.context_length", 8));
        Kv("llama.embedding_length", () => w.U32("llama.embedding_length", 8));
        Kv("llama.block_count", () => w.U32("llama.block_count", 1));
        Kv("llama.feed_forward_length", () => w.U32("llama.feed_forward_length", 16));
        Kv("llama.attention.head_count", () => w.U32("llama.attention.head_count", 2));
        Kv("llama.attention.head_count_kv", () => w.U32("llama.attention.head_count_kv", 1));
        Kv("llama.attention.layer_norm_rms_epsilon", () => w.F32("llama.attention.layer_norm_rms_epsilon", 1e-5f));
        Kv("tokenizer.ggml.model", () => w.Str("tokenizer.ggml.model", "llama"));
        Kv("tokenizer.ggml.tokens", () => w.Strings("tokenizer.ggml.tokens", ["<0x61>", "<0x62>", "<0x63>", "<s>"]));
        T("token_embd.weight", [8, 4]);
        T("blk.0.attn_norm.weight", [8]);
        T("blk.0.attn_q.weight", [8, 8]);
        T("blk.0.attn_k.weight", [8, 4]);
        T("blk.0.attn_v.weight", [8, 4]);
        T("blk.0.attn_output.weight", [8, 8]);
        T("blk.0.ffn_norm.weight", [8]);
        T("blk.0.ffn_gate.weight", [8, 16]);
        T("blk.0.ffn_up.weight", [8, 16]);
        T("blk.0.ffn_down.weight", [16, 8]);
        T("output_norm.weight", [8]);
        T("output.weight", [8, 4]);
        return w;
    }
}
