using System.Runtime.InteropServices;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>Knobs of a GGUF import.</summary>
public sealed record GgufImportOptions
{
    /// <summary>Tiling budget B of OPS §4 (VM steps per MatMul node).</summary>
    public long MaxStepsPerNode { get; init; } = 1 << 22;
    /// <summary>Real value of one unit of the prescaled attention score (OPS §5.7 Δ); 255·Δ is the softmax range.</summary>
    public double SoftmaxDelta { get; init; } = 1.0 / 32;
    /// <summary>Headroom of the I16 residual stream and I16 MatMul outputs over the calibrated maximum.</summary>
    public double I16Headroom { get; init; } = 1.5;
    /// <summary>Quantile of |x| an int8 activation's range covers (1 = the calibrated maximum; below clips outliers).</summary>
    public double Int8Quantile { get; init; } = 0.9999;
    /// <summary>The same for the int8 copy of the residual stream each Norm reads (null: <see cref="Int8Quantile"/>).</summary>
    public double? NormInputQuantile { get; init; }
    /// <summary>
    /// Keep the residual stream int8 (as the synthetic models do) instead of I16: for measuring what the I16 stream
    /// buys; Norms then read it directly.
    /// </summary>
    public bool Int8Residual { get; init; }
    /// <summary>
    /// Norms read the I16 residual stream directly (Norm accepts I16 x, OPS §5.6) instead of an int8 Requant copy
    /// (off by default: the committed import, its figures and roots are unchanged).
    /// </summary>
    public bool NormReadsI16 { get; init; }
}

/// <summary>The imported model and what reading its integer logits needs.</summary>
public sealed record GgufImport(ModelDefinition Model, GgufLlamaConfig Config, double LogitScale, int LogitsNode, int CalibrationTokens);

/// <summary>
/// A GGUF LLaMA → the integer graph of OPS §6 (through <see cref="LlamaGraph"/>), calibrated on sample token
/// sequences run through <see cref="LlamaFloat"/>. Weights int8 per output channel (MatMul per-channel requant, OPS
/// §5.1). The residual stream is I16 (embedding table I16, Wo/W2 MatMuls and the residual Adds output I16); each Norm
/// reads it through a Requant to I8 (RMSNorm is scale-invariant, so that int8 step only costs resolution). SiLU is an
/// I16 LUT over the int8 gate; logits are I16 with per-channel requant. Floats only here, choosing scales.
/// </summary>
public static class GgufLlamaImporter
{
    private const double Q15 = 32768;

    public static GgufImport Import(LlamaWeights w, IReadOnlyList<int[]> calibration, GgufImportOptions? options = null)
    {
        options ??= new GgufImportOptions();
        var c = w.Config;
        if (calibration.Count == 0 || calibration.All(s => s.Length == 0)) throw new ArgumentException("no calibration tokens");
        var st = Calibrate(w, calibration);
        int D = c.Dim, H = c.Heads, Hkv = c.KvHeads, hd = c.HeadDim, F = c.Ffn, S = c.ContextLength, V = c.Vocab;
        double I8At(string name, double quantile) => Math.Max(1e-8, (quantile >= 1 ? st.AbsMax(name) : st.Percentile(name, quantile)) / 127);
        double I8(string name) => I8At(name, options.Int8Quantile);
        double I16(string name) => Math.Max(1e-8, st.AbsMax(name) * options.I16Headroom / 32767);
        var resType = options.Int8Residual ? ElemType.I8 : ElemType.I16;
        int resMax = options.Int8Residual ? 127 : 32767;
        double Res(string name) => options.Int8Residual ? I8(name) : I16(name);

        var b = new GraphBuilder(options.MaxStepsPerNode);
        var expLut = b.AddWeight(ModelSynth.ExpLut(options.SoftmaxDelta));
        var rope = b.AddWeight(ModelSynth.RopeTable(S, hd, c.RopeBase));
        double embScale = Math.Max(1e-8, MaxAbs(w.TokenEmbedding) / resMax);
        var emb = b.AddWeight(Quantize(w.TokenEmbedding, [V, D], embScale, resType));
        var g = new LlamaGraph(b, S, emb);
        int x = g.Embedded;
        double sx = embScale;

        // x (I16 at sx) → Requant I8 → Norm → I8 at the scale of `outName`.
        (int Node, double Scale) Norm(int xNode, double xScale, string inName, string outName, float[] gamma)
        {
            bool direct = options.Int8Residual || options.NormReadsI16;
            double sIn = direct ? xScale : I8At(inName, options.NormInputQuantile ?? options.Int8Quantile), sOut = I8(outName);
            int r = direct ? xNode
                : b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(xNode)], new RequantParams(Mul(xScale / sIn).M, Mul(xScale / sIn).S, -128, 127));
            double gMax = Math.Max(1e-12, MaxAbs(gamma));
            int shift = Math.Clamp(14 + (int)Math.Floor(Math.Log2(32767 * sOut / gMax)), 0, 62);
            var gq = gamma.Select(v => (int)Math.Clamp(Math.Round(v / sOut * Math.Pow(2, shift - 14)), -32767, 32767)).ToArray();
            long eps = Math.Clamp((long)Math.Round(c.RmsEps * D * (double)D / (sIn * sIn)), 1, int.MaxValue);
            int n = b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(r), b.AddWeight(QTensor.I16([D], gq))],
                new NormParams(NormMode.Rms, shift, -128, 127, (int)eps, HasBeta: false));
            return (n, sOut);
        }

        // y = x·Wᵀ, int8 weights per output row, requantised per channel to outType at outScale.
        int Linear(int input, double inScale, float[] weight, int rows, int cols, ElemType outType, double outScale)
        {
            var (q, rowScale) = QuantizeRows(weight, rows, cols);
            var mc = new int[rows * 2];
            for (int r = 0; r < rows; r++) (mc[2 * r], mc[2 * r + 1]) = Mul(inScale * rowScale[r] / outScale);
            int lo = outType == ElemType.I8 ? -128 : -32768, hi = outType == ElemType.I8 ? 127 : 32767;
            return b.MatMul(b.Node(input), b.AddWeight(QTensor.FromInts(ElemType.I8, [rows, cols], q)), null, outType, default, lo, hi,
                perChannel: b.AddWeight(QTensor.I32([rows, 2], mc)));
        }

        int Residual(int a, double sa, int bNode, double sb, double sOut)
        {
            double ra = sa / sOut, rb = sb / sOut;
            int shift = Math.Clamp((int)Math.Floor(Math.Log2((1 << 30) / Math.Max(ra, rb))), 0, 62);
            int Ma = (int)Math.Round(ra * Math.Pow(2, shift)), Mb = (int)Math.Round(rb * Math.Pow(2, shift));
            return b.Add(new TensorSpec(resType, 1, D), [b.Node(a), b.Node(bNode)], new AddParams(Ma, shift, -resMax - 1, resMax, Mb));
        }

        for (int l = 0; l < c.Layers; l++)
        {
            var blk = w.Blocks[l];
            var (h, sh) = Norm(x, sx, $"x{l}", $"h{l}", blk.AttnNorm);
            double sq = I8($"q{l}"), sk = I8($"k{l}"), sv = I8($"v{l}"), sa = I8($"a{l}"), so = Res($"o{l}");
            int q = Linear(h, sh, blk.Wq, H * hd, D, ElemType.I8, sq);
            int k = Linear(h, sh, blk.Wk, Hkv * hd, D, ElemType.I8, sk);
            int v = Linear(h, sh, blk.Wv, Hkv * hd, D, ElemType.I8, sv);
            int qr = g.Rope(q, rope, hd), kr = g.Rope(k, rope, hd);
            int kc = g.Cache(kr), vc = g.Cache(v);
            int att = g.Attention(qr, kc, vc, expLut, H, Hkv,
                score: Mul(sq * sk / (Math.Sqrt(hd) * options.SoftmaxDelta)), output: Mul(sv / (Q15 * sa)));
            int o = Linear(att, sa, blk.Wo, D, H * hd, resType, so);
            double sxm = Res($"xm{l}");
            x = Residual(x, sx, o, so, sxm);
            sx = sxm;

            var (h2, sh2) = Norm(x, sx, $"xm{l}", $"h2{l}", blk.FfnNorm);
            double sg = I8($"g{l}"), su = I8($"u{l}"), sp = I8($"p{l}"), sd = Res($"d{l}");
            int gate = Linear(h2, sh2, blk.WGate, F, D, ElemType.I8, sg);
            var siluReal = Enumerable.Range(0, 256).Select(i => (double)LlamaFloat.Silu((float)((i - 128) * sg))).ToArray();
            double sSilu = Math.Max(1e-8, siluReal.Max(Math.Abs) / 32767);
            var silu = b.AddWeight(QTensor.I16([256], siluReal.Select(r => (int)Math.Round(r / sSilu)).ToArray()));
            int gt = b.Add(new TensorSpec(ElemType.I16, 1, F), [b.Node(gate), silu], new LutParams());
            int up = Linear(h2, sh2, blk.WUp, F, D, ElemType.I8, su);
            var (mm, ms) = Mul(sSilu * su / sp);
            int prod = b.Add(new TensorSpec(ElemType.I8, 1, F), [b.Node(gt), b.Node(up)], new MulParams(mm, ms, -128, 127));
            int dn = Linear(prod, sp, blk.WDown, D, F, resType, sd);
            double sNext = Res(l + 1 < c.Layers ? $"x{l + 1}" : "xf");
            x = Residual(x, sx, dn, sd, sNext);
            sx = sNext;
        }
        var (hf, shf) = Norm(x, sx, "xf", "hf", w.OutputNorm);
        double sLogit = I16("logits");
        int logits = Linear(hf, shf, w.Output, V, D, ElemType.I16, sLogit);
        var def = g.Finish(logits, "llama/gguf");
        return new GgufImport(def, c, sLogit, logits, calibration.Sum(s => s.Length));
    }

    /// <summary>Runs the float model over every calibration sequence (each from position 0, at most the context).</summary>
    public static ActivationStats Calibrate(LlamaWeights w, IReadOnlyList<int[]> sequences)
    {
        var stats = new ActivationStats();
        foreach (var seq in sequences)
        {
            var m = new LlamaFloat(w) { Stats = stats };
            for (int i = 0; i < Math.Min(seq.Length, w.Config.ContextLength); i++) m.Step(seq[i], i);
        }
        return stats;
    }

    /// <summary>
    /// Calibration text when none is given: seeded sampling (temperature 1) from the float model itself, each window
    /// from <paramref name="startToken"/> to the context length — in-distribution for any vocabulary.
    /// </summary>
    public static int[] SelfSampled(LlamaWeights w, int startToken, int windows, int seed)
    {
        var rng = new Random(seed);
        var all = new List<int>();
        for (int window = 0; window < windows; window++)
        {
            var m = new LlamaFloat(w);
            int tok = startToken;
            for (int pos = 0; pos < w.Config.ContextLength; pos++)
            {
                all.Add(tok);
                var logits = m.Step(tok, pos);
                float max = logits.Max();
                double z = logits.Sum(v => Math.Exp(v - max)), u = rng.NextDouble() * z;
                tok = 0;
                for (double acc = 0; tok < logits.Length - 1; tok++) if ((acc += Math.Exp(logits[tok] - max)) >= u) break;
            }
        }
        return all.ToArray();
    }

    /// <summary>Splits a token stream into windows of the context length (the calibration sequences).</summary>
    public static List<int[]> Windows(IReadOnlyList<int> tokens, int context, int maxWindows)
    {
        var list = new List<int[]>();
        for (int s = 0; s < tokens.Count && list.Count < maxWindows; s += context)
            list.Add(tokens.Skip(s).Take(context).ToArray());
        return list;
    }

    private static (int M, int S) Mul(double m) => ModelSynth.Multiplier(Math.Clamp(m, 1e-18, (1L << 31) - 1));

    private static double MaxAbs(float[] v) => v.Length == 0 ? 0 : v.Max(MathF.Abs);

    private static QTensor Quantize(float[] v, int[] dims, double scale, ElemType type)
    {
        int lim = type == ElemType.I8 ? 127 : 32767;
        var q = v.Select(x => (int)Math.Clamp(Math.Round(x / scale), -lim, lim)).ToArray();
        return QTensor.FromInts(type, dims, q);
    }

    /// <summary>Symmetric int8 per row: scale = max|row|/127.</summary>
    private static (int[] Q, double[] Scale) QuantizeRows(float[] w, int rows, int cols)
    {
        var q = new int[rows * cols];
        var scale = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = MemoryMarshal.CreateReadOnlySpan(ref w[r * cols], cols);
            double max = 0;
            foreach (var v in row) max = Math.Max(max, Math.Abs(v));
            scale[r] = max > 0 ? max / 127 : 1;
            for (int i = 0; i < cols; i++) q[r * cols + i] = (int)Math.Clamp(Math.Round(row[i] / scale[r]), -127, 127);
        }
        return (q, scale);
    }
}
