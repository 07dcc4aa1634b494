using OpmlNode.Inference.Models;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>One decoder block's float weights, PyTorch layout (row n = output feature n).</summary>
public sealed record LlamaBlockWeights(float[] AttnNorm, float[] Wq, float[] Wk, float[] Wv, float[] Wo, float[] FfnNorm, float[] WGate, float[] WUp, float[] WDown);

/// <summary>
/// The float weights of a GGUF LLaMA under llama.cpp's tensor names, dequantised and shape-checked against the
/// config (a missing <c>output.weight</c> means tied embeddings, as in llama.cpp).
/// </summary>
public sealed record LlamaWeights(GgufLlamaConfig Config, float[] TokenEmbedding, IReadOnlyList<LlamaBlockWeights> Blocks, float[] OutputNorm, float[] Output)
{
    public static LlamaWeights Load(GgufFile f, GgufLlamaConfig c)
    {
        int D = c.Dim, hd = c.HeadDim, V = c.Vocab;
        float[] Mat(string name, int rows, int cols)
        {
            var t = f.Tensor(name);
            if (t.Dims.Length != 2 || t.Dims[0] != cols || t.Dims[1] != rows)
                throw new InvalidModelException($"GGUF: tensor {name} has dims [{string.Join(", ", t.Dims)}], expected [{cols}, {rows}]");
            return f.ReadFloats(name);
        }
        float[] Vec(string name, int n)
        {
            var t = f.Tensor(name);
            if (t.ElementCount != n || t.Dims[0] != n) throw new InvalidModelException($"GGUF: tensor {name} has dims [{string.Join(", ", t.Dims)}], expected [{n}]");
            return f.ReadFloats(name);
        }
        var emb = Mat("token_embd.weight", V, D);
        var blocks = new List<LlamaBlockWeights>();
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"blk.{l}.";
            blocks.Add(new LlamaBlockWeights(
                Vec(p + "attn_norm.weight", D),
                Mat(p + "attn_q.weight", c.Heads * hd, D),
                Mat(p + "attn_k.weight", c.KvHeads * hd, D),
                Mat(p + "attn_v.weight", c.KvHeads * hd, D),
                Mat(p + "attn_output.weight", D, c.Heads * hd),
                Vec(p + "ffn_norm.weight", D),
                Mat(p + "ffn_gate.weight", c.Ffn, D),
                Mat(p + "ffn_up.weight", c.Ffn, D),
                Mat(p + "ffn_down.weight", D, c.Ffn)));
        }
        var outNorm = Vec("output_norm.weight", D);
        var output = f.TryGetTensor("output.weight", out _) ? Mat("output.weight", V, D) : emb;
        return new LlamaWeights(c, emb, blocks, outNorm, output);
    }

    public static LlamaWeights Load(string path)
    {
        using var f = GgufFile.Open(path);
        return Load(f, GgufLlamaConfig.From(f));
    }
}
