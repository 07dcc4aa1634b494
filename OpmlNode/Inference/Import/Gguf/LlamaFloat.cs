using System.Numerics.Tensors;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// A float32 LLaMA decoder over <see cref="LlamaWeights"/>, one token per step with a KV cache (the converter's
/// calibration model; never on a committed path). RoPE pairs are interleaved (llama.cpp's "normal" rope, OPS §5.8),
/// KV head g serves query heads g·H/Hkv … (g+1)·H/Hkv − 1. An optional <see cref="ActivationStats"/> records every
/// activation the integer graph quantises, under the names the importer reads.
/// </summary>
public sealed class LlamaFloat
{
    private readonly LlamaWeights _w;
    private readonly GgufLlamaConfig _c;
    private readonly float[][] _kCache, _vCache;
    private readonly double[] _invFreq;

    public LlamaFloat(LlamaWeights w)
    {
        _w = w;
        _c = w.Config;
        int kv = _c.KvHeads * _c.HeadDim;
        _kCache = Enumerable.Range(0, _c.Layers).Select(_ => new float[_c.ContextLength * kv]).ToArray();
        _vCache = Enumerable.Range(0, _c.Layers).Select(_ => new float[_c.ContextLength * kv]).ToArray();
        _invFreq = Enumerable.Range(0, _c.HeadDim / 2).Select(i => Math.Pow(_c.RopeBase, -2.0 * i / _c.HeadDim)).ToArray();
    }

    public ActivationStats? Stats { get; set; }

    /// <summary>Logits after feeding <paramref name="token"/> at position <paramref name="pos"/> (positions 0..pos−1 must have been fed).</summary>
    public float[] Step(int token, int pos)
    {
        var c = _c;
        int D = c.Dim, hd = c.HeadDim, H = c.Heads, Hkv = c.KvHeads, kvDim = Hkv * hd;
        if (pos < 0 || pos >= c.ContextLength) throw new ArgumentOutOfRangeException(nameof(pos), pos, $"position outside the context of {c.ContextLength}");
        var x = new float[D];
        if (token >= 0 && token < c.Vocab) _w.TokenEmbedding.AsSpan(token * D, D).CopyTo(x);
        for (int l = 0; l < c.Layers; l++)
        {
            var b = _w.Blocks[l];
            Observe($"x{l}", x);
            var h = RmsNorm(x, b.AttnNorm);
            Observe($"h{l}", h);
            var q = MatVec(b.Wq, h, H * hd);
            var k = MatVec(b.Wk, h, kvDim);
            var v = MatVec(b.Wv, h, kvDim);
            Rope(q, pos);
            Rope(k, pos);
            Observe($"q{l}", q); Observe($"k{l}", k); Observe($"v{l}", v);
            k.CopyTo(_kCache[l], pos * kvDim);
            v.CopyTo(_vCache[l], pos * kvDim);
            var a = new float[H * hd];
            var scores = new float[pos + 1];
            for (int hh = 0; hh < H; hh++)
            {
                int g = hh / (H / Hkv);
                var qh = q.AsSpan(hh * hd, hd);
                for (int j = 0; j <= pos; j++) scores[j] = TensorPrimitives.Dot(qh, _kCache[l].AsSpan(j * kvDim + g * hd, hd)) / MathF.Sqrt(hd);
                TensorPrimitives.SoftMax(scores, scores);
                var ah = a.AsSpan(hh * hd, hd);
                for (int j = 0; j <= pos; j++)
                    TensorPrimitives.MultiplyAdd(_vCache[l].AsSpan(j * kvDim + g * hd, hd), scores[j], ah, ah);
            }
            Observe($"a{l}", a);
            var o = MatVec(b.Wo, a, D);
            Observe($"o{l}", o);
            TensorPrimitives.Add(x, o, x);
            Observe($"xm{l}", x);
            var h2 = RmsNorm(x, b.FfnNorm);
            Observe($"h2{l}", h2);
            var gt = MatVec(b.WGate, h2, c.Ffn);
            var u = MatVec(b.WUp, h2, c.Ffn);
            Observe($"g{l}", gt);
            for (int i = 0; i < gt.Length; i++) gt[i] = Silu(gt[i]);
            Observe($"s{l}", gt); Observe($"u{l}", u);
            TensorPrimitives.Multiply(gt, u, gt);
            Observe($"p{l}", gt);
            var dn = MatVec(b.WDown, gt, D);
            Observe($"d{l}", dn);
            TensorPrimitives.Add(x, dn, x);
        }
        Observe("xf", x);
        var hf = RmsNorm(x, _w.OutputNorm);
        Observe("hf", hf);
        var logits = MatVec(_w.Output, hf, c.Vocab);
        Observe("logits", logits);
        return logits;
    }

    /// <summary>Logits at every position of <paramref name="tokens"/> (from position 0; at most the context length).</summary>
    public float[][] Forward(IReadOnlyList<int> tokens) => tokens.Select((t, i) => Step(t, i)).ToArray();

    public static float Silu(float x) => x / (1 + MathF.Exp(-x));

    private void Observe(string name, float[] v) => Stats?.Observe(name, v);

    private float[] RmsNorm(float[] x, float[] gamma)
    {
        double ss = 0;
        foreach (var v in x) ss += (double)v * v;
        float inv = (float)(1 / Math.Sqrt(ss / x.Length + _c.RmsEps));
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * inv * gamma[i];
        return y;
    }

    private static float[] MatVec(float[] w, float[] x, int rows)
    {
        var y = new float[rows];
        int k = x.Length;
        for (int r = 0; r < rows; r++) y[r] = TensorPrimitives.Dot(w.AsSpan(r * k, k), x);
        return y;
    }

    private void Rope(float[] v, int pos)
    {
        int hd = _c.HeadDim;
        for (int h = 0; h < v.Length / hd; h++)
            for (int i = 0; i < hd / 2; i++)
            {
                double ang = pos * _invFreq[i];
                float cs = (float)Math.Cos(ang), sn = (float)Math.Sin(ang);
                int o = h * hd + 2 * i;
                float a = v[o], b = v[o + 1];
                v[o] = a * cs - b * sn;
                v[o + 1] = a * sn + b * cs;
            }
    }
}
