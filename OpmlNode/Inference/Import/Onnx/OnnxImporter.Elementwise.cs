using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>Elementwise ops: chains over one activation become one Lut; two activations Add / Mul; mask and score arithmetic.</summary>
public sealed partial class OnnxImporter
{
    private static bool IsElementwise(OnnxNode n) => OnnxElementwise.Unary(n) is not null || OnnxElementwise.Binary(n.OpType) is not null || n.OpType == "Clip";

    private void Elementwise(OnnxNode n, Val?[] ins)
    {
        if (ins.Any(v => v is ScoresVal)) { Set(n, ScoresStep(n, ins)); return; }
        if (ins.Any(v => v is MaskVal)) { Set(n, MaskStep(n, ins)); return; }
        if (n.OpType == "Add" && ins.Length == 2 && ins.OfType<EmbVal>().SingleOrDefault() is { } e && ins.OfType<ConstVal>().SingleOrDefault() is { } c)
        {
            var idx = OnnxShapes.BroadcastIndex(c.T.Shape, e.Shape);
            if (!OnnxShapes.Broadcast(c.T.Shape, e.Shape, n).SequenceEqual(e.Shape)) throw OnnxImportException.Unsupported(n, "an embedding addend that widens the lookup");
            var add = e.Addend is null ? new float[idx.Length] : (float[])e.Addend.Clone();
            var cf = c.T.AsFloats();
            for (int i = 0; i < add.Length; i++) add[i] += cf[idx[i]];
            Set(n, e with { Addend = add, Name = n.Outputs[0] });
            return;
        }
        if (HeadsScaled(n, ins) is { } scaled) { Set(n, scaled); return; }
        var actNames = n.Inputs.Where((name, i) => ins[i] is not null and not ConstVal).Distinct().ToList();
        bool scalarConsts = ins.All(v => v is null or not ConstVal || ((ConstVal)v).T.Count == 1);
        if (actNames.Count == 1 && scalarConsts)
        {
            LutRegion(n, actNames[0]);
            return;
        }
        if (actNames.Count == 2 && ins.Length == 2 && n.OpType is "Add" or "Sub" or "Mul")
        {
            Set(n, TwoActivations(n, Wide(n.Inputs[0]) ?? Act(n, ins[0], 0), Wide(n.Inputs[1]) ?? Act(n, ins[1], 1)));
            return;
        }
        if (actNames.Count == 1 && ins.Length == 2 && n.OpType is "Add" or "Sub" or "Mul" or "Div")
        {
            int ai = ins[0] is ConstVal ? 1 : 0;
            Set(n, WithConstant(n, Act(n, ins[ai], ai), ((ConstVal)ins[1 - ai]!).T, constFirst: ai == 1));
            return;
        }
        throw OnnxImportException.Unsupported(n, actNames.Count > 1 ? $"{n.OpType} of {actNames.Count} activations" : "this combination of inputs");
    }

    /// <summary>
    /// The largest chain of elementwise nodes fed only by one activation x and scalar constants, from its first node
    /// <paramref name="start"/>, with the one value it passes on (or <paramref name="start"/> alone).
    /// </summary>
    private (List<OnnxNode> Region, string Output) ElementwiseChain(OnnxNode start, string xName)
    {
        var region = new List<OnnxNode> { start };
        var produced = new HashSet<string>(start.Outputs);
        bool Allowed(string i) => i.Length == 0 || i == xName || produced.Contains(i) || ConstOf(i) is { Count: 1 };
        foreach (var c in _m.Nodes.Where(c => c.Index > start.Index && _live.Contains(c.Index) && !_done.Contains(c.Index)))
            if (IsElementwise(c) && c.Inputs.All(Allowed) && c.Inputs.Any(produced.Contains))
            {
                region.Add(c);
                produced.UnionWith(c.Outputs);
            }
        var regionSet = region.Select(r => r.Index).ToHashSet();
        var escaping = produced.Where(p => p == _output || Consumers(p).Any(u => !regionSet.Contains(u.Index))).ToList();
        return escaping.Count == 1 ? (region, escaping[0]) : ([start], start.Outputs[0]);
    }

    /// <summary>
    /// The chain of <see cref="ElementwiseChain"/> as one Lut: the table is the chain evaluated in float at the 256
    /// int8 values of x (with its offset), rounded to the calibrated output scale, or to an offset one if every reader
    /// folds it. Channel groups of x (<see cref="GroupsVal"/>) get a Lut each, on their own output range, joined by
    /// Concat into one permuted, channel-scaled activation for the MatMuls that read it.
    /// </summary>
    private void LutRegion(OnnxNode start, string xName)
    {
        int xi = start.Inputs.ToList().IndexOf(xName);
        var groups = _v[xName] as GroupsVal;
        var parts = groups?.Parts ?? [RawAct(start, _v[xName], xi) is { Uniform: true } raw ? raw : Act(start, _v[xName], xi)];
        var (region, outName) = ElementwiseChain(start, xName);
        var range = _cal.ChannelRange(outName);
        var outs = new List<ActVal>();
        int first = 0;
        foreach (var x in parts)
        {
            int cols = x.Shape[^1];
            var chans = groups?.Perm[first..(first + cols)];
            first += cols;
            var (so, offset) = chans is null ? TakesOffset(outName) ? OffsetScale(outName) : (Scale(outName), 0.0)
                : range is { } rg ? GroupScale(chans.Min(c => rg.Min[c]), chans.Max(c => rg.Max[c])) : throw new InvalidOperationException($"internal: no channel range for '{outName}'");
            var grid = OnnxTensor.Float([256], Enumerable.Range(0, 256).Select(i => (float)((i - 128) * x.Scale + x.Offset)).ToArray());
            var env = new Dictionary<string, OnnxTensor> { [xName] = grid };
            foreach (var r in region)
            {
                var ro = OnnxEvaluator.Eval(r, r.Inputs.Select(i => i.Length == 0 ? null : env.TryGetValue(i, out var t) ? t : ConstOf(i)).ToArray(), _m.Opset);
                for (int i = 0; i < ro.Length && i < r.Outputs.Count; i++) env[r.Outputs[i]] = ro[i];
            }
            var f = env[outName].AsFloats();
            if (f.Length != 256) throw OnnxImportException.Unsupported(start, "an elementwise chain that changes the shape");
            var table = _b.AddWeight(OnnxQuant.I8Tensor([256], f.Select(v => float.IsPositiveInfinity(v) ? 127.0 : float.IsNegativeInfinity(v) ? -128.0 : (v - offset) / so).ToArray()));
            int node = _b.Add(x.Ref.Spec, [x.Ref, table], new LutParams());
            outs.Add(x with { Ref = _b.Node(node), Scale = so, Offset = offset });
        }
        _done.UnionWith(region.Select(r => r.Index));
        if (groups is null)
        {
            _v[outName] = outs[0];
            return;
        }
        // Channel c of the joined parts is ONNX channel Perm[c]: real = q · max scale · (its part's scale / max) + its part's offset.
        double top = outs.Max(o => o.Scale);
        var spread = outs.SelectMany(o => Enumerable.Repeat(o, o.Shape[^1])).ToArray();
        int joined = _b.ConcatTree(outs.Select(o => (int)o.Ref.Index).ToList());
        _v[outName] = new ActVal(_b.Node(joined), top, groups.Shape)
        {
            Channel = spread.Select(o => o.Scale / top).ToArray(),
            Offsets = spread.Select(o => o.Offset).ToArray(),
            Perm = groups.Perm,
        };
    }

    /// <summary>The I16 twin of a LayerNorm output, for the residual Add it feeds (see <see cref="Norm"/>).</summary>
    private ActVal? Wide(string value) => _v.TryGetValue("\0i16:" + value, out var v) ? (ActVal)v : null;

    private ActVal TwoActivations(OnnxNode n, ActVal a, ActVal b)
    {
        bool sameSpec = n.OpType == "Mul" ? a.Ref.Spec.Equals(b.Ref.Spec) : a.Ref.Spec.Dims.SequenceEqual(b.Ref.Spec.Dims); // Add reads I8/I16 operands
        if (!a.Shape.SequenceEqual(b.Shape) || a.Layout != b.Layout || !sameSpec)
            throw OnnxImportException.Unsupported(n, $"activations of shapes {OnnxShapes.Show(a.Shape)} and {OnnxShapes.Show(b.Shape)} (broadcasting between activations)");
        double so = Scale(n.Outputs[0]);
        int node;
        if (n.OpType == "Mul")
        {
            var (m, s) = OnnxQuant.Multiplier(a.Scale * b.Scale / so, $"node {n.DisplayName} (Mul)");
            node = _b.Add(a.Ref.Spec, [a.Ref, b.Ref], new MulParams(m, s, -128, 127));
        }
        else if (FeedsNormOnly(n.Outputs[0]))
        {
            // The residual stream into a LayerNorm stays I16 (Norm reads I16, OPS §5.6): outlier channels keep their range.
            so = Scale16(n.Outputs[0]);
            var (ma, mb, s) = OnnxQuant.AddMultipliers(a.Scale / so, (n.OpType == "Sub" ? -1 : 1) * b.Scale / so);
            node = _b.Add(new TensorSpec(ElemType.I16, [.. a.Ref.Spec.Dims]), [a.Ref, b.Ref], new AddParams(ma, s, short.MinValue, short.MaxValue, mb));
        }
        else
        {
            var (ma, mb, s) = OnnxQuant.AddMultipliers(a.Scale / so, (n.OpType == "Sub" ? -1 : 1) * b.Scale / so);
            node = _b.Add(a.Ref.Spec, [a.Ref, b.Ref], new AddParams(ma, s, -128, 127, mb));
        }
        return a with { Ref = _b.Node(node), Scale = so };
    }

    /// <summary>An activation with a constant tensor broadcast onto it: Add (I16 weight) or Mul (I16 weight, Div = Mul by 1/c).</summary>
    private ActVal WithConstant(OnnxNode n, ActVal a, OnnxTensor c, bool constFirst)
    {
        if (a.Layout != Layout.Plain) throw OnnxImportException.Unsupported(n, "a constant operand on an attention head layout");
        if (!OnnxShapes.Broadcast(c.Shape, a.Shape, n).SequenceEqual(a.Shape)) throw OnnxImportException.Unsupported(n, "a constant that widens the activation");
        if (n.OpType == "Div" && constFirst) throw OnnxImportException.Unsupported(n, "a constant divided by an activation");
        var idx = OnnxShapes.BroadcastIndex(c.Shape, a.Shape);
        var cf = c.AsFloats();
        var full = idx.Select(i => n.OpType == "Div" ? 1.0 / cf[i] : cf[i]).ToArray();
        double sc = Math.Max(full.Max(Math.Abs), 1e-20) / 32767;
        var w = _b.AddWeight(OnnxQuant.I16Tensor([a.Ref.Spec.Rows, a.Ref.Spec.Cols], full.Select(v => v / sc).ToArray()));
        double so = Scale(n.Outputs[0]);
        int node;
        if (n.OpType is "Mul" or "Div")
        {
            var (m, s) = OnnxQuant.Multiplier(a.Scale * sc / so, $"node {n.DisplayName} ({n.OpType})");
            node = _b.Add(a.Ref.Spec, [a.Ref, w], new MulParams(m, s, -128, 127));
        }
        else
        {
            double sa = (n.OpType == "Sub" && constFirst ? -1 : 1) * a.Scale / so, sb = (n.OpType == "Sub" && !constFirst ? -1 : 1) * sc / so;
            var (ma, mb, s) = OnnxQuant.AddMultipliers(sa, sb);
            node = _b.Add(a.Ref.Spec, [a.Ref, w], new AddParams(ma, s, -128, 127, mb));
        }
        return a with { Ref = _b.Node(node), Scale = so };
    }

    /// <summary>
    /// Q (or K) in a head layout times or divided by a positive scalar (PyTorch scales Q by 1/√hd before Q·Kᵀ): the
    /// same bytes at a rescaled scale, exact and free, rather than a Lut that would round Q once more.
    /// </summary>
    private static ActVal? HeadsScaled(OnnxNode n, Val?[] ins)
    {
        if (ins.Length != 2 || n.OpType is not ("Mul" or "Div")) return null;
        int ai = ins[0] is ActVal ? 0 : 1;
        if (ins[ai] is not ActVal { Layout: not Layout.Plain } a || ins[1 - ai] is not ConstVal { T.Count: 1 } c || c.T.Rank > a.Shape.Length || !(c.T[0] > 0) || (n.OpType == "Div" && ai == 1)) return null;
        return a with { Scale = n.OpType == "Mul" ? a.Scale * c.T[0] : a.Scale / c.T[0] };
    }

    private MaskVal MaskStep(OnnxNode n, Val?[] ins)
    {
        var mask = ins.OfType<MaskVal>().Single();
        var c = ins.OfType<ConstVal>().SingleOrDefault()?.T;
        if (n.OpType == "Sub" && mask.Stage == 0 && ins[0] is ConstVal && c is { Count: 1 } && c[0] == 1) return mask with { Stage = 1 };
        if (n.OpType == "Mul" && mask.Stage == 1 && c is { Count: 1 } && c[0] <= -1000) return mask with { Stage = 2 };
        throw OnnxImportException.Unsupported(n, "attention-mask arithmetic other than (1 − mask) · (large negative)");
    }

    private ScoresVal ScoresStep(OnnxNode n, Val?[] ins)
    {
        var s = ins.OfType<ScoresVal>().Single();
        var c = ins.OfType<ConstVal>().SingleOrDefault()?.T;
        if (n.OpType == "Div" && ins[0] is ScoresVal && c is { Count: 1 } && c[0] > 0) return s with { Factor = s.Factor / c[0] };
        if (n.OpType == "Mul" && c is { Count: 1 } && c[0] > 0) return s with { Factor = s.Factor * c[0] };
        if (n.OpType == "Add" && !s.Masked && ins.OfType<MaskVal>().SingleOrDefault() is { Stage: 2 }) return s with { Masked = true };
        throw OnnxImportException.Unsupported(n, "attention-score arithmetic other than a positive scale and the padding mask");
    }
}
