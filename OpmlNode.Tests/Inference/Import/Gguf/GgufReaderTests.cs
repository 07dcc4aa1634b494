using System.Buffers.Binary;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;

namespace OpmlNode.Tests.Inference.Import.Gguf;

public sealed class GgufReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gguf-tests").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes, string name = "m.gguf")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static InvalidModelException Bad(string path) => Assert.Throws<InvalidModelException>(() =>
    {
        using var f = GgufFile.Open(path);
        LlamaWeights.Load(f, GgufLlamaConfig.From(f));
    });

    [Fact]
    public void Reads_header_metadata_and_tensors_of_a_tiny_llama()
    {
        var path = Write(GgufTestWriter.TinyLlama().ToBytes());
        using var f = GgufFile.Open(path);
        Assert.Equal(3u, f.Version);
        Assert.Equal(12, f.Tensors.Count);
        Assert.Equal("llama", f.GetString("general.architecture"));
        Assert.Equal(8, f.GetInteger("llama.embedding_length"));
        Assert.Equal(1e-5, f.GetFloat("llama.attention.layer_norm_rms_epsilon"), 1e-9);
        var c = GgufLlamaConfig.From(f);
        Assert.Equal((8, 8, 1, 16, 2, 1, 4, 4), (c.ContextLength, c.Dim, c.Layers, c.Ffn, c.Heads, c.KvHeads, c.HeadDim, c.Vocab));
        Assert.Equal([8L, 4L], f.Tensor("token_embd.weight").Dims);
        Assert.Equal((4, 8), f.Tensor("blk.0.attn_k.weight").Matrix);
        var w = LlamaWeights.Load(f, c);
        Assert.Equal(32, w.TokenEmbedding.Length);
        Assert.Equal(0, f.DataOffset % 32);
    }

    [Fact]
    public void Reads_every_metadata_value_type_including_nested_arrays()
    {
        var g = new GgufTestWriter()
            .Add("u8", GgufValueType.UInt8, w => w.Write((byte)200))
            .Add("i8", GgufValueType.Int8, w => w.Write((sbyte)-5))
            .Add("u16", GgufValueType.UInt16, w => w.Write((ushort)60000))
            .Add("i16", GgufValueType.Int16, w => w.Write((short)-30000))
            .Add("u32", GgufValueType.UInt32, w => w.Write(4000000000u))
            .Add("i32", GgufValueType.Int32, w => w.Write(-2000000000))
            .Add("u64", GgufValueType.UInt64, w => w.Write(1UL << 40))
            .Add("i64", GgufValueType.Int64, w => w.Write(-(1L << 40)))
            .Add("f32", GgufValueType.Float32, w => w.Write(1.5f))
            .Add("f64", GgufValueType.Float64, w => w.Write(-2.25))
            .Add("bool", GgufValueType.Bool, w => w.Write(true))
            .Str("str", "héllo")
            .Add("nested", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.Array); w.Write(2UL);
                for (int i = 0; i < 2; i++) { w.Write((uint)GgufValueType.Int32); w.Write(3UL); w.Write(i); w.Write(i + 1); w.Write(i + 2); }
            });
        using var f = GgufFile.Open(Write(g.ToBytes()));
        Assert.Equal(200, f.GetInteger("u8"));
        Assert.Equal(-5, f.GetInteger("i8"));
        Assert.Equal(60000, f.GetInteger("u16"));
        Assert.Equal(-30000, f.GetInteger("i16"));
        Assert.Equal(4000000000, f.GetInteger("u32"));
        Assert.Equal(-2000000000, f.GetInteger("i32"));
        Assert.Equal(1L << 40, f.GetInteger("u64"));
        Assert.Equal(-(1L << 40), f.GetInteger("i64"));
        Assert.Equal(1.5, f.GetFloat("f32"));
        Assert.Equal(-2.25, f.GetFloat("f64"));
        Assert.Equal(true, f.Get("bool").Value);
        Assert.Equal("héllo", f.GetString("str"));
        var nested = f.GetArray("nested");
        Assert.Equal(2, nested.Count);
        Assert.Equal(new long[] { 1, 2, 3 }, nested[1].Items.Select(v => (long)v.Value));
    }

    [Fact]
    public void Dequantises_f16_and_q8_0()
    {
        var f16 = new byte[2 * 4];
        float[] vals = [1f, -0.5f, 3.25f, 0f];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteHalfLittleEndian(f16.AsSpan(2 * i), (Half)vals[i]);
        var q8 = new byte[GgufDequant.Q8BlockBytes];
        BinaryPrimitives.WriteHalfLittleEndian(q8, (Half)0.5f);
        for (int i = 0; i < 32; i++) q8[2 + i] = (byte)(sbyte)(i - 16);
        var g = new GgufTestWriter()
            .RawTensor("h", [4], (uint)GgufTensorType.F16, f16)
            .RawTensor("q", [32], (uint)GgufTensorType.Q8_0, q8);
        using var f = GgufFile.Open(Write(g.ToBytes()));
        Assert.Equal(vals, f.ReadFloats("h"));
        Assert.Equal(Enumerable.Range(0, 32).Select(i => 0.5f * (i - 16)), f.ReadFloats("q"));
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_is_a_clear_error()
    {
        var bytes = GgufTestWriter.TinyLlama().ToBytes();
        for (int len = 0; len < bytes.Length; len += len < 600 ? 1 : 97)
        {
            var path = Write(bytes[..len], "t.gguf");
            var e = Bad(path);
            Assert.StartsWith("GGUF:", e.Message);
            Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void Garbage_and_bad_magic_are_clear_errors()
    {
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            var junk = new byte[rng.Next(0, 4000)];
            rng.NextBytes(junk);
            if (i % 2 == 0 && junk.Length >= 8) { BinaryPrimitives.WriteUInt32LittleEndian(junk, GgufFile.Magic); BinaryPrimitives.WriteUInt32LittleEndian(junk.AsSpan(4), 3); }
            var e = Bad(Write(junk, "g.gguf"));
            Assert.StartsWith("GGUF:", e.Message);
        }
        Assert.Contains("bad magic", Bad(Write("OPMLMODL and more bytes"u8.ToArray(), "x.gguf")).Message);
        // Corrupt single bytes of a valid file: never anything but a clear error or a successful read.
        var good = GgufTestWriter.TinyLlama().ToBytes();
        for (int i = 0; i < 500; i++)
        {
            var b = (byte[])good.Clone();
            b[rng.Next(b.Length)] ^= (byte)rng.Next(1, 256);
            try
            {
                using var f = GgufFile.Open(Write(b, "c.gguf"));
                LlamaWeights.Load(f, GgufLlamaConfig.From(f));
            }
            catch (InvalidModelException e)
            {
                Assert.StartsWith("GGUF:", e.Message);
            }
        }
    }

    [Fact]
    public void Unsupported_version_and_tensor_type_are_named()
    {
        var v = GgufTestWriter.TinyLlama();
        v.Version = 1;
        Assert.Contains("version 1 is not supported", Bad(Write(v.ToBytes())).Message);
        var g = GgufTestWriter.TinyLlama().RawTensor("blk.9.q4k", [256], 12, new byte[144]);
        Assert.Equal("GGUF: tensor blk.9.q4k has type Q4_K (12); supported: F32, F16, Q8_0", Bad(Write(g.ToBytes())).Message);
    }

    [Fact]
    public void Another_architecture_and_missing_keys_are_named()
    {
        Assert.Equal("GGUF: architecture 'gpt2' is not supported (only llama)", Bad(Write(GgufTestWriter.TinyLlama(arch: "gpt2").ToBytes())).Message);
        foreach (var key in new[] { "general.architecture", "llama.block_count", "llama.context_length", "llama.embedding_length", "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.layer_norm_rms_epsilon", "tokenizer.ggml.model", "tokenizer.ggml.tokens" })
            Assert.Equal($"GGUF: missing key {key}", Bad(Write(GgufTestWriter.TinyLlama(omitKey: key).ToBytes())).Message);
    }

    [Fact]
    public void Missing_tensor_wrong_shape_and_duplicates_are_named()
    {
        Assert.Equal("GGUF: missing tensor blk.0.ffn_down.weight", Bad(Write(GgufTestWriter.TinyLlama(omitTensor: "blk.0.ffn_down.weight").ToBytes())).Message);
        var wrong = GgufTestWriter.TinyLlama(omitTensor: "blk.0.attn_k.weight").Tensor("blk.0.attn_k.weight", [8, 8], new float[64]);
        Assert.Equal("GGUF: tensor blk.0.attn_k.weight has dims [8, 8], expected [8, 4]", Bad(Write(wrong.ToBytes())).Message);
        var dup = GgufTestWriter.TinyLlama().Tensor("blk.0.attn_q.weight", [8, 8], new float[64]);
        Assert.Equal("GGUF: duplicate tensor blk.0.attn_q.weight", Bad(Write(dup.ToBytes())).Message);
    }

    [Fact]
    public void Llama_variants_the_importer_would_get_wrong_are_refused()
    {
        var rope = GgufTestWriter.TinyLlama().Str("llama.rope.scaling.type", "linear");
        Assert.Equal("GGUF: RoPE scaling 'linear' (llama.rope.scaling.type) is not supported", Bad(Write(rope.ToBytes())).Message);
        var kl = GgufTestWriter.TinyLlama().U32("llama.attention.key_length", 8);
        Assert.Contains("llama.attention.key_length = 8 differs from the head dimension 4", Bad(Write(kl.ToBytes())).Message);
        var moe = GgufTestWriter.TinyLlama().U32("llama.expert_count", 8);
        Assert.Contains("mixture-of-experts", Bad(Write(moe.ToBytes())).Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_error() =>
        Assert.EndsWith("no such file", Assert.Throws<InvalidModelException>(() => GgufFile.Open(Path.Combine(_dir, "none.gguf"))).Message);
}
