using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>LayerNorm, as the exporters' ReduceMean subgraph or the LayerNormalization op, onto Norm (mode Layer).</summary>
public sealed partial class OnnxImporter
{
    /// <summary>
    /// mean = ReduceMean(x); d = x − mean; var = ReduceMean(d^2); y = d / Sqrt(var + eps) [· gamma] [+ beta] — the only
    /// ReduceMean the importer takes (over the last axis).
    /// </summary>
    private void LayerNormPattern(OnnxNode rm)
    {
        OnnxImportException NoMatch(string why) => OnnxImportException.Unsupported(rm, $"only as part of a LayerNorm over the last axis: {why}");
        var xName = rm.Inputs[0];
        var x = Act(rm, _v[xName], 0);
        bool LastAxis(OnnxNode r) => r.Ints("axes") is [var a] && (a == -1 || a == ShapeOf(_v[r.Inputs[0]]).Length - 1) && r.Int("keepdims", 1) == 1;
        if (!LastAxis(rm)) throw NoMatch("axes must be [-1] with keepdims");
        var sub = OnlyConsumer(rm.Outputs[0]);
        if (sub is not { OpType: "Sub" } || sub.Inputs[0] != xName || sub.Inputs[1] != rm.Outputs[0]) throw NoMatch("x − mean expected");
        var dUsers = Consumers(sub.Outputs[0]);
        var pow = dUsers.FirstOrDefault(u => u.OpType == "Pow");
        var div = dUsers.FirstOrDefault(u => u.OpType == "Div");
        if (dUsers.Count != 2 || pow is null || div is null || ConstOf(pow.Input(1)) is not { Count: 1 } two || two[0] != 2) throw NoMatch("(x − mean)^2 and (x − mean) / σ expected");
        var rm2 = OnlyConsumer(pow.Outputs[0]);
        if (rm2 is not { OpType: "ReduceMean" } || !LastAxis(rm2)) throw NoMatch("the mean of the squares expected");
        var addEps = OnlyConsumer(rm2.Outputs[0]);
        var epsT = addEps is { OpType: "Add" } ? ConstOf(addEps.Inputs[0] == rm2.Outputs[0] ? addEps.Input(1) : addEps.Input(0)) : null;
        if (epsT is not { Count: 1 }) throw NoMatch("var + eps expected");
        var sqrt = OnlyConsumer(addEps!.Outputs[0]);
        if (sqrt is not { OpType: "Sqrt" } || OnlyConsumer(sqrt.Outputs[0]) != div || div.Inputs[0] != sub.Outputs[0]) throw NoMatch("(x − mean) / Sqrt(var + eps) expected");
        _done.UnionWith([rm.Index, sub.Index, pow.Index, rm2.Index, addEps.Index, sqrt.Index, div.Index]);
        string outName = div.Outputs[0];
        int D = x.Shape[^1];
        float[]? gamma = null, beta = null;
        if (OnlyConsumer(outName) is { OpType: "Mul" } mul && ConstOf(mul.Inputs[0] == outName ? mul.Input(1) : mul.Input(0)) is { } g && g.Count == D)
        {
            gamma = g.AsFloats();
            outName = mul.Outputs[0];
            _done.Add(mul.Index);
            if (OnlyConsumer(outName) is { OpType: "Add" } add && ConstOf(add.Inputs[0] == outName ? add.Input(1) : add.Input(0)) is { } bt && bt.Count == D)
            {
                beta = bt.AsFloats();
                outName = add.Outputs[0];
                _done.Add(add.Index);
            }
        }
        _v[outName] = Norm(rm, x, gamma ?? Enumerable.Repeat(1f, D).ToArray(), beta, epsT[0], outName);
    }

    private void LayerNormalization(OnnxNode n, Val?[] ins)
    {
        var x = Act(n, ins[0], 0);
        if (n.Int("axis", -1) is var ax && ax != -1 && ax != x.Shape.Length - 1) throw OnnxImportException.Unsupported(n, "normalisation over more than the last axis");
        if (n.Outputs.Count > 1 && n.Outputs.Skip(1).Any(o => o.Length > 0 && _consumers.ContainsKey(o))) throw OnnxImportException.Unsupported(n, "the Mean / InvStdDev outputs");
        int D = x.Shape[^1];
        float[] Vec(int i, string what) => ins.Length > i && ins[i] is ConstVal c
            ? c.T.Count == D ? c.T.AsFloats() : c.T.Count == 1 ? Enumerable.Repeat((float)c.T[0], D).ToArray() : throw OnnxImportException.Unsupported(n, $"{what} of shape {OnnxShapes.Show(c.T.Shape)}")
            : throw OnnxImportException.Unsupported(n, $"{what} must be a constant");
        var gamma = Vec(1, "scale");
        var beta = ins.Length > 2 && ins[2] is not null ? Vec(2, "bias") : null;
        _v[n.Outputs[0]] = Norm(n, x, gamma, beta, n.Float("epsilon", 1e-5f), n.Outputs[0]);
    }

    /// <summary>
    /// Norm (Layer) to I8 for the value's readers, channel-wise divided by the SmoothQuant divisors if every reader
    /// folds them (<see cref="SmoothingOf"/>); if it also feeds a residual Add kept in I16 (<see cref="FeedsNormOnly"/>),
    /// an unscaled twin Norm with I16 output feeds that Add (recorded under "\0i16:" + name), so the residual stream keeps 16 bits.
    /// </summary>
    private ActVal Norm(OnnxNode n, ActVal x, float[] gamma, float[]? beta, double eps, string outName)
    {
        if (x.Layout != Layout.Plain) throw OnnxImportException.Unsupported(n, "a LayerNorm of an attention head layout");
        var r = SmoothingOf(outName, gamma.Length) is { } s
            ? NormNode(x, gamma.Select((g, k) => (float)(g / s[k])).ToArray(), beta?.Select((b, k) => (float)(b / s[k])).ToArray(), eps, SmoothedScale(outName, s), ElemType.I8) with { Channel = s }
            : NormNode(x, gamma, beta, eps, Scale(outName), ElemType.I8);
        if (Consumers(outName).Any(ReadsWideTwin))
            _v["\0i16:" + outName] = NormNode(x, gamma, beta, eps, Scale16(outName), ElemType.I16);
        return r;
    }

    /// <summary>g = gamma·2^(s−14)/s_out in I16, beta·2^s/s_out in I32, eps in units of x²·D² (OPS §5.6).</summary>
    private ActVal NormNode(ActVal x, float[] gamma, float[]? beta, double eps, double so, ElemType ot)
    {
        int D = x.Shape[^1];
        double gmax = Math.Max(gamma.Max(v => Math.Abs(v)) / so, 1e-20);
        double bmax = beta is null ? 0 : beta.Max(v => Math.Abs(v)) / so;
        int s = 62;
        while (s > 0 && (gmax * Math.Pow(2, s - 14) > 32767 || bmax * Math.Pow(2, s) > (1 << 30))) s--;
        var g = OnnxQuant.I16Tensor([D], gamma.Select(v => v / so * Math.Pow(2, s - 14)).ToArray());
        var inputs = new List<InputRef> { x.Ref, _b.AddWeight(g) };
        if (beta is not null) inputs.Add(_b.AddWeight(OnnxQuant.I32Tensor([D], beta.Select(v => v / so * Math.Pow(2, s)).ToArray())));
        double epsUnits = eps / (x.Scale * x.Scale) * D * (double)D;
        int epsInt = (int)Math.Clamp(Math.Round(epsUnits), 1, int.MaxValue);
        int node = _b.Add(new TensorSpec(ot, [.. x.Ref.Spec.Dims]), inputs.ToArray(), new NormParams(NormMode.Layer, s, (int)ot.Min(), (int)ot.Max(), epsInt, HasBeta: beta is not null));
        return new ActVal(_b.Node(node), so, x.Shape);
    }
}
