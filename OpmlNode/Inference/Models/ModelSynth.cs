using System.Buffers.Binary;
using System.Runtime.InteropServices;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Models;


/// <summary>Shape of a synthetic model. Fields not used by an architecture are 0.</summary>
public sealed record SynthPreset(
    string Name, int Vocab, int Dim, int Layers, int Heads, int KvHeads, int Ffn, int MaxSeq, long MaxStepsPerNode,
    int Classes = 0, int[]? MlpHidden = null, int MlpInput = 784)
{
    public int HeadDim => Heads == 0 ? 0 : Dim / Heads;
}

/// <summary>
/// Seeded random int8 models following the sketches of OPS §6 (MLP classifier, LLaMA-style decoder, BERT-style
/// encoder). Floats appear only here, to pick requantisation multipliers and fill LUTs; the graph is integer-only.
/// Scales aim at activations with an RMS of about <see cref="Act"/> int8 units so nothing saturates or vanishes.
/// </summary>
public static class ModelSynth
{
    /// <summary>Target RMS of int8 activations.</summary>
    public const double Act = 32;
    /// <summary>RMS of a uniform random int8 weight byte (−128..127).</summary>
    private const double WeightRms = 73.9;
    /// <summary>Real value of one unit of the prescaled attention score t (OPS §5.7: Δ).</summary>
    private const double SoftmaxDelta = 1.0 / 16;

    public static SynthPreset Preset(ArchitectureKind arch, string name) => (arch, name) switch
    {
        (ArchitectureKind.Mlp, "tiny") => new("tiny", 0, 0, 0, 0, 0, 0, 0, 1 << 16, Classes: 10, MlpHidden: [64, 32]),
        (ArchitectureKind.Mlp, "small") => new("small", 0, 0, 0, 0, 0, 0, 0, 1 << 22, Classes: 10, MlpHidden: [512, 256]),
        (ArchitectureKind.Mlp, "100m") => new("100m", 0, 0, 0, 0, 0, 0, 0, 1 << 26, Classes: 10, MlpHidden: [9216, 9216]),
        (ArchitectureKind.Llama, "tiny") => new("tiny", 64, 32, 2, 4, 2, 64, 16, 8_000),
        (ArchitectureKind.Llama, "small") => new("small", 512, 128, 4, 4, 2, 384, 64, 1 << 18),
        (ArchitectureKind.Llama, "100m") => new("100m", 16384, 768, 12, 12, 4, 2048, 256, 1 << 24),
        (ArchitectureKind.Llama, "1b") => new("1b", 32000, 2048, 22, 32, 4, 5632, 2048, 1 << 26), // TinyLlama-1.1B's shape
        (ArchitectureKind.Llama, "7b") => new("7b", 32000, 4096, 32, 32, 32, 11008, 2048, 1 << 27),
        (ArchitectureKind.Bert, "tiny") => new("tiny", 64, 32, 2, 4, 4, 64, 16, 1 << 14, Classes: 4),
        (ArchitectureKind.Bert, "small") => new("small", 1000, 128, 4, 4, 4, 512, 64, 1 << 22, Classes: 4),
        (ArchitectureKind.Bert, "100m") => new("100m", 30522, 768, 12, 12, 12, 3072, 128, 1 << 28, Classes: 4),
        _ => throw new ArgumentException($"no preset '{name}' for {arch.ToString().ToLowerInvariant()} (mlp/bert: tiny, small, 100m; llama: tiny, small, 100m, 1b, 7b)"),
    };

    public static ModelDefinition Build(ArchitectureKind arch, string preset, int seed) => Build(arch, Preset(arch, preset), seed);

    public static ModelDefinition Build(ArchitectureKind arch, SynthPreset p, int seed) => arch switch
    {
        ArchitectureKind.Mlp => Mlp(p, seed),
        ArchitectureKind.Llama => Llama(p, seed),
        _ => Bert(p, seed),
    };

    // ---------------------------------------------------------------- scale helpers (float, converter only)

    /// <summary>(M, s) with M ∈ [2^30, 2^31) and M·2^−s ≈ m (OPS §1.3 converter convention).</summary>
    public static (int M, int S) Multiplier(double m)
    {
        if (!(m > 0) || m >= 1L << 31) throw new ArgumentOutOfRangeException(nameof(m), m, "multiplier must be in (0, 2^31)");
        int s = 0;
        while (m * Math.Pow(2, s) < (1L << 30) && s < 62) s++;
        long M = (long)Math.Round(m * Math.Pow(2, s));
        if (M >= 1L << 31) { M >>= 1; s--; }
        if (s < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "multiplier too large");
        return ((int)M, s);
    }

    private static (int, int) MatMulScale(int k, double inRms, double outRms) => Multiplier(outRms / (Math.Sqrt(k) * inRms * WeightRms));

    /// <summary>Int8 LUT of f: index i ↔ x = i − 128 with real value x·inScale; entry = round(f(x·inScale)/outScale).</summary>
    public static QTensor LutI8(Func<double, double> f, double inScale, double outScale)
    {
        var v = new int[256];
        for (int i = 0; i < 256; i++) v[i] = (int)Math.Clamp(Math.Round(f((i - 128) * inScale) / outScale), -128, 127);
        return QTensor.I8([256], v);
    }

    /// <summary>RMS of table[x + 128] for x ~ N(0, σ²) clamped to int8.</summary>
    private static double LutRms(QTensor table, double sigma)
    {
        var t = table.ToInts();
        double sw = 0, s2 = 0;
        for (int x = -128; x <= 127; x++)
        {
            double w = Math.Exp(-0.5 * x * x / (sigma * sigma));
            sw += w; s2 += w * t[x + 128] * (double)t[x + 128];
        }
        return Math.Max(1, Math.Sqrt(s2 / sw));
    }

    /// <summary>exp[d] = round(2^15·exp(−d·Δ)) (OPS §5.7).</summary>
    public static QTensor ExpLut(double delta)
    {
        var v = new int[256];
        for (int d = 0; d < 256; d++) v[d] = (int)Math.Round(32768 * Math.Exp(-d * delta));
        return QTensor.I32([256], v);
    }

    /// <summary>RoPE table I16 [maxSeq, hd/2, 2] in Q14: cos/sin(q·θ_i), θ_i = base^(−2i/hd).</summary>
    public static QTensor RopeTable(int maxSeq, int hd, double theta = 10000)
    {
        var v = new int[maxSeq * hd];
        for (int q = 0; q < maxSeq; q++)
            for (int i = 0; i < hd / 2; i++)
            {
                double a = q * Math.Pow(theta, -2.0 * i / hd);
                v[(q * (hd / 2) + i) * 2] = (int)Math.Round(16384 * Math.Cos(a));
                v[(q * (hd / 2) + i) * 2 + 1] = (int)Math.Round(16384 * Math.Sin(a));
            }
        return QTensor.I16([maxSeq, hd / 2, 2], v);
    }

    private static double Silu(double x) => x / (1 + Math.Exp(-x));
    private static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    // ---------------------------------------------------------------- weight fills (seeded per weight)

    private sealed class Weights(GraphBuilder b, int seed)
    {
        private int _next;
        private Random Rng() => new(unchecked(seed * 7919 + 104729 * ++_next));

        /// <summary>Uniform random int8 [n, k].</summary>
        public InputRef Matrix(int n, int k)
        {
            var rngSeed = Rng().Next();
            return b.AddWeight(new TensorSpec(ElemType.I8, n, k), dst => new Random(rngSeed).NextBytes(dst));
        }

        /// <summary>I16 gamma [d] around <paramref name="center"/> (±25%).</summary>
        public InputRef Gamma(int d, double center)
        {
            var rng = Rng();
            var v = new int[d];
            for (int i = 0; i < d; i++) v[i] = (int)Math.Round(center * (0.75 + 0.5 * rng.NextDouble()));
            return b.AddWeight(QTensor.I16([d], v));
        }

        /// <summary>I32 [d] uniform in [−range, range].</summary>
        public InputRef I32Vector(int d, long range)
        {
            var rng = Rng();
            var v = new int[d];
            for (int i = 0; i < d; i++) v[i] = (int)rng.NextInt64(-range, range + 1);
            return b.AddWeight(QTensor.I32([d], v));
        }
    }

    // ---------------------------------------------------------------- MLP (OPS §6)

    private static ModelDefinition Mlp(SynthPreset p, int seed)
    {
        var b = new GraphBuilder(p.MaxStepsPerNode);
        var w = new Weights(b, seed);
        var x = InputRef.TaskInput(new TensorSpec(ElemType.I8, 1, p.MlpInput));
        double inRms = WeightRms; // random int8 inputs, like a flattened image
        int k = p.MlpInput;
        foreach (int h in p.MlpHidden!)
        {
            var W = w.Matrix(h, k);
            double accRms = Math.Sqrt(k) * inRms * WeightRms;
            var bias = w.I32Vector(h, (long)(accRms / 2));
            int node = b.MatMul(x, W, bias, ElemType.I8, Multiplier(2 * Act / (accRms * 1.118)), 0, 127); // fused ReLU
            x = b.Node(node);
            inRms = 2 * Act / Math.Sqrt(2);
            k = h;
        }
        var Wc = w.Matrix(p.Classes, k);
        var bc = w.I32Vector(p.Classes, (long)(Math.Sqrt(k) * inRms * WeightRms / 2));
        int logits = b.MatMul(x, Wc, bc, ElemType.I32, default, 0, 0);
        int arg = b.Add(new TensorSpec(ElemType.I32, 1), [b.Node(logits)], new ArgmaxParams());
        return b.Build($"mlp/{p.Name}", arg, p.MlpInput, 1);
    }

    // ---------------------------------------------------------------- LLaMA decoder (OPS §6)

    private static ModelDefinition Llama(SynthPreset p, int seed)
    {
        int D = p.Dim, H = p.Heads, Hkv = p.KvHeads, hd = p.HeadDim, F = p.Ffn, S = p.MaxSeq, V = p.Vocab;
        if (hd * H != D || hd % 2 != 0 || H % Hkv != 0) throw new ArgumentException("inconsistent LLaMA preset");
        var b = new GraphBuilder(p.MaxStepsPerNode);
        var w = new Weights(b, seed);
        var expLut = b.AddWeight(ExpLut(SoftmaxDelta));
        var rope = b.AddWeight(RopeTable(S, hd));
        const double siluIn = 4.0 / 128; // int8 x ↔ real x·siluIn (±4)
        var siluTable = LutI8(Silu, siluIn, 4.0 / 127);
        var silu = b.AddWeight(siluTable);
        double siluRms = LutRms(siluTable, Act);
        var emb = b.AddWeight(new TensorSpec(ElemType.I8, V, D), FillScaled(seed ^ 0x5eed, Act));

        var g = new LlamaGraph(b, S, emb);
        int x = g.Embedded;
        var addScale = (int)Math.Round(0.7 * (1 << 14));
        var qD = MatMulScale(D, Act, Act);
        double scoreScale = 1.5 / (Math.Sqrt(hd) * Act * Act * SoftmaxDelta); // temperature 1.5
        var score = Multiplier(scoreScale);
        var attOut = Multiplier(1.5 / 32768);
        var residual = new AddParams(addScale, 14, QMin: -128, QMax: 127, addScale);
        var rmsNorm = new NormParams(NormMode.Rms, 14, QMin: -128, QMax: 127, Epsilon: D, HasBeta: false);

        for (int l = 0; l < p.Layers; l++)
        {
            int h = b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(x), w.Gamma(D, Act)], rmsNorm);
            int q = b.MatMul(b.Node(h), w.Matrix(H * hd, D), null, ElemType.I8, qD, -128, 127);
            int k = b.MatMul(b.Node(h), w.Matrix(Hkv * hd, D), null, ElemType.I8, qD, -128, 127);
            int v = b.MatMul(b.Node(h), w.Matrix(Hkv * hd, D), null, ElemType.I8, qD, -128, 127);
            int qr = g.Rope(q, rope, hd);
            int kr = g.Rope(k, rope, hd);
            int kc = g.Cache(kr);
            int vc = g.Cache(v);
            int att = g.Attention(qr, kc, vc, expLut, H, Hkv, score, attOut);
            int o = b.MatMul(b.Node(att), w.Matrix(D, H * hd), null, ElemType.I8, MatMulScale(H * hd, Act, Act), -128, 127);
            x = b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(x), b.Node(o)], residual);
            int h2 = b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(x), w.Gamma(D, Act)], rmsNorm);
            int g1 = b.MatMul(b.Node(h2), w.Matrix(F, D), null, ElemType.I8, MatMulScale(D, Act, Act), -128, 127);
            int gt = b.Add(new TensorSpec(ElemType.I8, 1, F), [b.Node(g1), silu], new LutParams());
            int u = b.MatMul(b.Node(h2), w.Matrix(F, D), null, ElemType.I8, MatMulScale(D, Act, Act), -128, 127);
            var (mm, sm) = Multiplier(Act / (siluRms * Act));
            int prod = b.Add(new TensorSpec(ElemType.I8, 1, F), [b.Node(gt), b.Node(u)], new MulParams(mm, sm, QMin: -128, QMax: 127));
            int dn = b.MatMul(b.Node(prod), w.Matrix(D, F), null, ElemType.I8, MatMulScale(F, Act, Act), -128, 127);
            x = b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(x), b.Node(dn)], residual);
        }
        int hf = b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(x), w.Gamma(D, Act)], rmsNorm);
        int logits = b.MatMul(b.Node(hf), w.Matrix(V, D), null, ElemType.I32, default, 0, 0);
        return g.Finish(logits, $"llama/{p.Name}");
    }

    /// <summary>Random int8 fill with roughly normal values of the given RMS (embeddings).</summary>
    private static Action<Span<byte>> FillScaled(int seed, double rms) => dst =>
    {
        var rng = new Random(seed);
        for (int i = 0; i < dst.Length; i++)
        {
            double z = (rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5) * 2; // var = 1
            dst[i] = (byte)(sbyte)Math.Clamp(Math.Round(z * rms), -127, 127);
        }
    };

    // ---------------------------------------------------------------- BERT encoder (OPS §6)

    private static ModelDefinition Bert(SynthPreset p, int seed)
    {
        int D = p.Dim, H = p.Heads, hd = p.HeadDim, F = p.Ffn, L = p.MaxSeq, V = p.Vocab;
        var b = new GraphBuilder(p.MaxStepsPerNode);
        var w = new Weights(b, seed);
        var ids = InputRef.TaskInput(new TensorSpec(ElemType.I32, L));
        var expLut = b.AddWeight(ExpLut(SoftmaxDelta));
        const double geluIn = 4.0 / 128;
        var geluTable = LutI8(Gelu, geluIn, 4.0 / 127);
        var gelu = b.AddWeight(geluTable);
        double geluRms = LutRms(geluTable, Act);
        var emb = b.AddWeight(new TensorSpec(ElemType.I8, V, D), FillScaled(seed ^ 0xe1b, Act));
        var posEmb = b.AddWeight(new TensorSpec(ElemType.I8, L, D), FillScaled(seed ^ 0x905, Act));
        var act = new TensorSpec(ElemType.I8, L, D);
        var addScale = (int)Math.Round(0.7 * (1 << 14));
        var residual = new AddParams(addScale, 14, QMin: -128, QMax: 127, addScale);
        var layerNorm = new NormParams(NormMode.Layer, 14, QMin: -128, QMax: 127, Epsilon: D, HasBeta: true);
        int Ln(int input) => b.Add(act, [b.Node(input), w.Gamma(D, Act), w.I32Vector(D, 8L << 14)], layerNorm);

        int e = b.Add(act, [emb, ids], new GatherParams(First: 0));
        int x = Ln(b.Add(act, [b.Node(e), posEmb], residual));
        var qD = MatMulScale(D, Act, Act);
        var (ms, ss) = Multiplier(1.5 / (Math.Sqrt(hd) * Act * Act * SoftmaxDelta));
        var (mo, so) = Multiplier(1.5 / 32768);
        for (int l = 0; l < p.Layers; l++)
        {
            int q = b.MatMul(b.Node(x), w.Matrix(D, D), null, ElemType.I8, qD, -128, 127);
            int k = b.MatMul(b.Node(x), w.Matrix(D, D), null, ElemType.I8, qD, -128, 127);
            int v = b.MatMul(b.Node(x), w.Matrix(D, D), null, ElemType.I8, qD, -128, 127);
            int att = b.Add(act, [b.Node(q), b.Node(k), b.Node(v), expLut, ids],
                new AttentionParams(mo, so, QMin: -128, QMax: 127, Heads: H, KvHeads: H, ms, ss, HasPosition: false, HasMask: true, Causal: false, PadValue: 0));
            int o = b.MatMul(b.Node(att), w.Matrix(D, D), null, ElemType.I8, qD, -128, 127);
            x = Ln(b.Add(act, [b.Node(x), b.Node(o)], residual));
            int f1 = b.MatMul(b.Node(x), w.Matrix(F, D), null, ElemType.I8, qD, -128, 127);
            int g = b.Add(new TensorSpec(ElemType.I8, L, F), [b.Node(f1), gelu], new LutParams());
            int f2 = b.MatMul(b.Node(g), w.Matrix(D, F), null, ElemType.I8, MatMulScale(F, geluRms, Act), -128, 127);
            x = Ln(b.Add(act, [b.Node(x), b.Node(f2)], residual));
        }
        var cls = b.Add(new TensorSpec(ElemType.I8, 1, D), [b.Node(x), b.AddWeight(QTensor.I32([1], 0))], new GatherParams(First: 0));
        int logits = b.MatMul(b.Node(cls), w.Matrix(p.Classes, D), null, ElemType.I32, default, 0, 0);
        int arg = b.Add(new TensorSpec(ElemType.I32, 1), [b.Node(logits)], new ArgmaxParams());
        return b.Build($"bert/{p.Name}", arg, L * 4, 1);
    }

    // ---------------------------------------------------------------- task inputs

    /// <summary>Task input of a decoder: I32 [n, t_1, …, t_n] (TokenSelect's prompt layout).</summary>
    public static byte[] PromptInput(IReadOnlyList<int> tokens)
    {
        var v = new int[1 + tokens.Count];
        v[0] = tokens.Count;
        for (int i = 0; i < tokens.Count; i++) v[1 + i] = tokens[i];
        return MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
    }

    /// <summary>Task input of an encoder: the ids as I32 (shorter than L = zero-padded = pad id 0).</summary>
    public static byte[] IdsInput(IReadOnlyList<int> ids)
    {
        var b = new byte[4 * ids.Count];
        for (int i = 0; i < ids.Count; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), ids[i]);
        return b;
    }

    /// <summary>A random valid task input for a model (by its architecture name).</summary>
    public static byte[] RandomInput(IModel model, int seed)
    {
        var rng = new Random(seed);
        var taskSpec = model.Nodes.SelectMany(d => d.Inputs).First(r => r.Kind == RefKind.TaskInput).Spec;
        switch (model.Kind)
        {
            case ArchitectureKind.Llama:
            {
                int vocab = VocabOf(model);
                int maxLen = Math.Max(1, Math.Min(8, taskSpec.ElementCount - 1));
                var toks = Enumerable.Range(0, rng.Next(1, maxLen + 1)).Select(_ => rng.Next(vocab)).ToArray();
                return PromptInput(toks);
            }
            case ArchitectureKind.Bert:
            {
                int vocab = VocabOf(model), len = rng.Next(2, taskSpec.ElementCount + 1);
                return IdsInput(Enumerable.Range(0, len).Select(i => i == 0 ? 1 : rng.Next(1, vocab)).ToArray());
            }
            default:
            {
                var b = new byte[model.InputSizeLimit];
                rng.NextBytes(b);
                return b;
            }
        }
    }

    /// <summary>Rows of the embedding table (the first Gather's table).</summary>
    public static int VocabOf(IModel model) =>
        model.Nodes.First(d => d.Op == OpCode.Gather && d.Inputs[0].Kind == RefKind.Weight).In(0).Dims[0];
}
