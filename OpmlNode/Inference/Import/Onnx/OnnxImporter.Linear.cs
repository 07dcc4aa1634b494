using OpmlNode.Inference.Models;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>MatMul / Gemm (+ bias) as per-channel int8 MatMul; the attention block as one Attention node; Softmax.</summary>
public sealed partial class OnnxImporter
{
    private void MatMul(OnnxNode n, Val?[] ins)
    {
        if (ins[0] is ActVal { Layout: Layout.HeadsFirst } q && ins[1] is ActVal { Layout: Layout.HeadsFirstT } k)
        {
            if (q.Heads != k.Heads) throw OnnxImportException.Unsupported(n, "Q and K with different head counts");
            Set(n, new ScoresVal(q, k, 1, false, [.. q.Shape[..^1], k.Shape[^1]]));
            return;
        }
        if (ins[0] is ProbsVal p && ins[1] is ActVal { Layout: Layout.HeadsFirst } v)
        {
            Set(n, Attention(n, p.Scores, v));
            return;
        }
        if (LinearWeight(n, n.Inputs[0]) is { } lw)
        {
            var a = RawAct(n, ins[0], 0);
            if (DeferPacked(n, a, lw.N, lw.K, lw.W)) return;
            Linear(n, a, lw.N, lw.K, lw.W, 1);
            return;
        }
        throw OnnxImportException.Unsupported(n, "a product of two activations other than attention's Q·Kᵀ and P·V, or a weight that is not a 2-D constant");
    }

    private void Gemm(OnnxNode n, Val?[] ins)
    {
        if (ins[1] is not ConstVal b || b.T.Rank != 2) throw OnnxImportException.Unsupported(n, "B must be a constant matrix");
        if (n.Int("transA", 0) != 0) throw OnnxImportException.Unsupported(n, "transA");
        var a = RawAct(n, ins[0], 0);
        var (K, N, w) = LinearWeight(n, n.Inputs[0]) ?? throw OnnxImportException.Unsupported(n, "A and B are the same value");
        double alpha = n.Float("alpha", 1), beta = n.Float("beta", 1);
        float[]? bias = null;
        if (ins.Length > 2 && ins[2] is not null)
        {
            if (ins[2] is not ConstVal c) throw OnnxImportException.Unsupported(n, "C must be a constant");
            if (c.T.Count != 1 && c.T.Count != N) throw OnnxImportException.Unsupported(n, "C must broadcast along the rows ([N] or a scalar)");
            bias = Enumerable.Range(0, N).Select(j => (float)(beta * c.T[c.T.Count == 1 ? 0 : j])).ToArray();
        }
        Linear(n, a, N, K, w, alpha, bias);
    }

    /// <summary>
    /// y = alpha·(a·W) + bias with W given as w(n, k); a following Add of a constant [N] is fused as the bias. The
    /// input's permutation and channel scales fold into W's columns and its offsets into the bias; the output takes an
    /// offset if every reader folds it (<see cref="TakesOffset"/>), or is split into channel groups for the Lut chain
    /// that reads it (<see cref="ChannelGroups"/>).
    /// </summary>
    private void Linear(OnnxNode n, ActVal a, int N, int K, Func<int, int, float> w, double alpha, float[]? bias = null, string? output = null)
    {
        if (!a.Uniform)
        {
            var w0 = w;
            w = (nn, kk) => (float)(w0(nn, a.Perm?[kk] ?? kk) * a.ChannelAt(kk));
        }
        if (a.Layout != Layout.Plain) throw OnnxImportException.Unsupported(n, "a weight product of an attention head layout");
        if (a.Shape[^1] != K) throw new OnnxImportException($"node {n.DisplayName} ({n.OpType}): input has {a.Shape[^1]} features, the weight {K}");
        string outName = output ?? n.Outputs[0];
        if (bias is null && BiasAdd(outName, N) is { } fused)
        {
            (bias, outName) = (fused.Bias, fused.Add.Outputs[0]);
            _done.Add(fused.Add.Index);
        }
        var sw = new double[N];
        for (int j = 0; j < N; j++)
        {
            double m = 0;
            for (int k = 0; k < K; k++) m = Math.Max(m, Math.Abs(w(j, k)));
            sw[j] = Math.Max(m * Math.Abs(alpha), 1e-20) / 127;
        }
        var wq = new byte[N * K];
        for (int j = 0; j < N; j++)
            for (int k = 0; k < K; k++) wq[j * K + k] = (byte)OnnxQuant.I8(alpha * w(j, k) / sw[j]);
        bool inOffset = Enumerable.Range(0, K).Any(k => a.OffsetAt(k) != 0);
        // In accumulator units (a.Scale · sw[j]): bias − the output offset + Σ_k x_k's offset times its weight.
        double BiasOf(int j, double offset)
        {
            double sum = 0;
            if (inOffset)
                for (int k = 0; k < K; k++) sum += (sbyte)wq[j * K + k] * a.OffsetAt(k) / a.ChannelAt(k);
            return ((bias?[j] ?? 0) - offset) / (a.Scale * sw[j]) + sum / a.Scale;
        }
        // Output channels chans (rows of W in that order) as one MatMul (tiled by the builder).
        ActVal Emit(int[] chans, ElemType ot, double so, double offset)
        {
            int m = chans.Length;
            var wg = new byte[m * K];
            for (int i = 0; i < m; i++) Array.Copy(wq, chans[i] * K, wg, i * K, K);
            var W = _b.AddWeight(new QTensor(new TensorSpec(ElemType.I8, m, K), wg));
            var B = bias is null && offset == 0 && !inOffset ? null : _b.AddWeight(OnnxQuant.I32Tensor([m], chans.Select(j => BiasOf(j, offset)).ToArray()));
            var pc = new int[2 * m];
            for (int i = 0; i < m; i++) (pc[2 * i], pc[2 * i + 1]) = OnnxQuant.Multiplier(a.Scale * sw[chans[i]] / so, $"node {n.DisplayName} ({n.OpType})");
            int node = _b.MatMul(a.Ref, W, B, ot, default, (int)ot.Min(), (int)ot.Max(), _b.AddWeight(QTensor.I32([m, 2], pc)));
            return new ActVal(_b.Node(node), so, a.Shape[..^1].Append(m).ToArray()) { Offset = offset };
        }
        var outShape = a.Shape[..^1].Append(N).ToArray();
        // A product that only feeds the residual Add into a LayerNorm (attention output, FFN output) stays I16 as well.
        bool wide = OnlyConsumer(outName) is { OpType: "Add" } res && FeedsNormOnly(res.Outputs[0]) && res.Inputs.All(i => ConstOf(i) is null);
        if (!wide && ChannelGroups(outName, N) is { } groups)
        {
            var range = _cal.ChannelRange(outName)!.Value;
            _v[outName] = new GroupsVal(groups.Select(g =>
            {
                var (gs, go) = GroupScale(g.Min(j => range.Min[j]), g.Max(j => range.Max[j]));
                return Emit(g, ElemType.I8, gs, go);
            }).ToList(), groups.SelectMany(g => g).ToArray(), outShape);
            return;
        }
        var ot = wide ? ElemType.I16 : ElemType.I8;
        var (so, offset) = wide ? (Scale16(outName), 0.0) : TakesOffset(outName) ? OffsetScale(outName) : (Scale(outName), 0.0);
        var r = Emit(Enumerable.Range(0, N).ToArray(), ot, so, offset);
        _v[outName] = OnnxQuant.Spec2D(ot, outShape).Equals(r.Ref.Spec) ? r with { Shape = outShape } : Copy(r with { Shape = [r.Ref.Spec.Rows, N] }, outShape);
    }

    /// <summary>The Add of a constant [N] (leading dims 1, rank ≤ <paramref name="maxRank"/>) that alone reads <paramref name="value"/>: a bias to fuse.</summary>
    private (OnnxNode Add, float[] Bias)? BiasAdd(string value, int N, int maxRank = int.MaxValue)
    {
        if (OnlyConsumer(value) is not { OpType: "Add" } add) return null;
        var c = ConstOf(add.Inputs[0] == value ? add.Input(1) : add.Input(0));
        return c is not null && c.Count == N && c.Shape[^1] == N && c.Rank <= maxRank && c.Shape.Take(c.Rank - 1).All(d => d == 1) ? (add, c.AsFloats()) : null;
    }

    private ActVal Attention(OnnxNode n, ScoresVal sc, ActVal v)
    {
        var q = sc.Q;
        var k = sc.K;
        if (v.Heads != q.Heads || v.Ref.Spec.Rows != k.Ref.Spec.Rows) throw OnnxImportException.Unsupported(n, "V does not match K");
        if (!(sc.Factor > 0)) throw OnnxImportException.Unsupported(n, "attention scores scaled by a non-positive factor");
        _exp ??= _b.AddWeight(ModelSynth.ExpLut(SoftmaxDelta));
        double so = Scale(n.Outputs[0]);
        var (ms, ss) = OnnxQuant.Multiplier(q.Scale * k.Scale * sc.Factor / SoftmaxDelta, $"node {n.DisplayName} (attention scores)");
        var (mo, os) = OnnxQuant.Multiplier(v.Scale / (32768 * so), $"node {n.DisplayName} (attention output)");
        var inputs = new List<InputRef> { q.Ref, k.Ref, v.Ref, _exp };
        if (sc.Masked) inputs.Add(_ids!);
        int node = _b.Add(q.Ref.Spec, inputs.ToArray(),
            new AttentionParams(mo, os, -128, 127, q.Heads, q.Heads, ms, ss, HasPosition: false, HasMask: sc.Masked, Causal: false, PadValue: 0));
        return new ActVal(_b.Node(node), so, [.. q.Shape[..^1], v.Shape[^1]], Layout.HeadsFirst, q.Heads);
    }

    private Val Softmax(OnnxNode n, Val x)
    {
        int rank = ShapeOf(x).Length;
        long axis = n.Int("axis", _m.Opset >= 13 ? -1 : 1);
        if (axis != -1 && axis != rank - 1) throw OnnxImportException.Unsupported(n, $"softmax over axis {axis} (only the last axis)");
        if (x is ScoresVal s) return new ProbsVal(s);
        var a = Act(n, x, 0);
        if (a.Layout != Layout.Plain) throw OnnxImportException.Unsupported(n, "softmax of an attention head layout outside attention");
        _exp ??= _b.AddWeight(ModelSynth.ExpLut(SoftmaxDelta));
        var (m, sh) = OnnxQuant.Multiplier(a.Scale / SoftmaxDelta, $"node {n.DisplayName} (Softmax)");
        int p = _b.Add(new TensorSpec(ElemType.I32, a.Ref.Spec.Rows, a.Ref.Spec.Cols), [a.Ref, _exp], new SoftmaxParams(m, sh));
        double so = Scale(n.Outputs[0]);
        var (mr, sr) = OnnxQuant.Multiplier(1.0 / (32768 * so), $"node {n.DisplayName} (Softmax output)");
        int r = _b.Add(a.Ref.Spec, [_b.Node(p)], new RequantParams(mr, sr, -128, 127));
        return new ActVal(_b.Node(r), so, a.Shape);
    }
}
