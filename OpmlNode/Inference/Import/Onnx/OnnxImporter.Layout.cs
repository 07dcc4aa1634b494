using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>Reshapes, transposes, casts, gathers and the embedding lookup.</summary>
public sealed partial class OnnxImporter
{
    private Val Reshape(OnnxNode n, Val?[] ins)
    {
        var x = ins[0]!;
        // The target shape, by running the op on a zero tensor of the input's shape (constant inputs as given).
        var probe = OnnxTensor.Float(ShapeOf(x), new float[OnnxTensor.CountOf(ShapeOf(x))]);
        var shape = OnnxEvaluator.Eval(n, ins.Select((v, i) => i == 0 ? probe : (v as ConstVal)?.T).ToArray(), _m.Opset)[0].Shape;
        switch (Materialise(x, n.Inputs[0]))
        {
            case IdsVal: return new IdsVal(shape);
            case MaskVal k: return k with { Shape = shape };
            case ActVal a when a.Layout == Layout.Plain:
                if (SplitsHeads(a.Shape, shape))
                    return a with { Shape = shape, Layout = Layout.Split, Heads = shape[^2] };
                return OnnxQuant.Spec2D(ElemType.I8, shape).Equals(OnnxQuant.Spec2D(ElemType.I8, a.Shape)) ? a with { Shape = shape } : Copy(a, shape);
            case ActVal a when a.Layout == Layout.Split && shape[^1] == a.Shape[^2] * a.Shape[^1]:
                // Merging the heads back: any shape whose last axis is H·hd has the L positions as its rows.
                return a with { Shape = shape, Layout = Layout.Plain, Heads = 0 };
            case ActVal:
                throw OnnxImportException.Unsupported(n, "a reshape of an attention head layout other than merging the heads");
            default:
                throw OnnxImportException.Unsupported(n, $"of {Describe(x)}");
        }
    }

    /// <summary>
    /// The head split of a [L, H·hd] projection: [1, L, D] → [1, L, H, hd] (BERT, our export) or, heads folded into the
    /// batch axis of batch 1, [L, 1, D] → [L, H, hd] (PyTorch's nn.MultiheadAttention, which works in [L, B, D]).
    /// </summary>
    private static bool SplitsHeads(int[] from, int[] to) =>
        from.Length == 3 && to.Length == from.Length + 1 && from[0] == 1 && to[0] == 1 && to[1] == from[1] && to[2] * to[3] == from[2]
        || from.Length == 3 && to.Length == 3 && from[1] == 1 && to[0] == from[0] && to[1] * to[2] == from[2];

    private Val Transpose(OnnxNode n, Val x)
    {
        var a = Act(n, x, 0);
        var perm = n.Ints("perm") ?? Enumerable.Range(0, a.Shape.Length).Reverse().Select(i => (long)i).ToArray();
        var s = a.Shape;
        int[] Permuted() => perm.Select(p => s[p]).ToArray();
        // A head layout without the batch axis (heads in the batch axis, [L, H, hd]) takes the 4-D permutations less axis 0.
        var perm4 = a.Layout != Layout.Plain && s.Length == 3 ? [0, .. perm.Select(p => p + 1)] : perm;
        bool Is(params long[] p) => perm4.SequenceEqual(p);
        switch (a.Layout)
        {
            case Layout.Split when Is(0, 2, 1, 3): return a with { Shape = Permuted(), Layout = Layout.HeadsFirst };
            case Layout.Split when Is(0, 2, 3, 1): return a with { Shape = Permuted(), Layout = Layout.HeadsFirstT };
            case Layout.HeadsFirst when Is(0, 2, 1, 3): return a with { Shape = Permuted(), Layout = Layout.Split };
            case Layout.HeadsFirst when Is(0, 1, 3, 2): return a with { Shape = Permuted(), Layout = Layout.HeadsFirstT };
            case Layout.Plain:
                // Only a permutation that moves size-1 axes keeps the bytes (the op set has no transpose).
                var nonUnit = perm.Where(p => s[p] != 1).ToArray();
                if (nonUnit.SequenceEqual(nonUnit.Order())) return a with { Shape = Permuted() };
                throw OnnxImportException.Unsupported(n, "a transpose of an activation (only the attention head reshapes)");
            default:
                throw OnnxImportException.Unsupported(n, "this transpose of an attention head layout");
        }
    }

    private Val Cast(OnnxNode n, Val x)
    {
        var to = (OnnxElementType)n.Int("to", 1);
        return x switch
        {
            MaskVal or IdsVal => x,
            ActVal or EmbVal when to is OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16 => x,
            _ => throw OnnxImportException.Unsupported(n, $"a cast of {Describe(x)} to {to.ToString().ToLowerInvariant()}"),
        };
    }

    private Val Gather(OnnxNode n, Val?[] ins)
    {
        long axis = n.Int("axis", 0);
        if (ins[0] is ConstVal table && ins[1] is IdsVal ids)
        {
            if (table.T.Rank != 2 || axis != 0) throw OnnxImportException.Unsupported(n, "an embedding lookup needs a [rows, dim] table on axis 0");
            return new EmbVal(table.T, null, [.. ids.Shape, table.T.Shape[1]], n.Outputs[0]);
        }
        if (ins[1] is ConstVal idx && Act(n, ins[0], 0) is { Layout: Layout.Plain } a && a.Shape.Length == 2 && axis == 0)
        {
            var rows = idx.T.AsLongs().Select(i => (int)(i < 0 ? i + a.Shape[0] : i)).ToArray();
            var w = _b.AddWeight(QTensor.I32([rows.Length], rows));
            int[] shape = [.. idx.T.Shape, a.Shape[1]];
            int g = _b.Add(new TensorSpec(ElemType.I8, rows.Length, a.Shape[1]), [a.Ref, w], new GatherParams(First: 0));
            var r = new ActVal(_b.Node(g), a.Scale, [rows.Length, a.Shape[1]]);
            return OnnxQuant.Spec2D(ElemType.I8, shape).Equals(r.Ref.Spec) ? r with { Shape = shape } : Copy(r, shape);
        }
        throw OnnxImportException.Unsupported(n, "only an embedding lookup (constant table, token ids) or constant row indices of a 2-D activation");
    }

    /// <summary>table[ids] (int8, per-tensor scale) + the constant addend (I16) as Gather + Add.</summary>
    private ActVal MaterialiseEmbedding(EmbVal e)
    {
        if (_v.TryGetValue("\0emb:" + e.Name, out var done)) return (ActVal)done;
        var t = e.Table.AsFloats();
        double st = Math.Max(t.Max(Math.Abs), 1e-20) / 127;
        var table = _b.AddWeight(new TensorSpec(ElemType.I8, e.Table.Shape[0], e.Table.Shape[1]), dst =>
        {
            for (int i = 0; i < dst.Length; i++) dst[i] = (byte)OnnxQuant.I8(t[i] / st);
        });
        int rows = OnnxTensor.CountOf(e.Shape) / e.Table.Shape[1];
        var spec = new TensorSpec(ElemType.I8, rows, e.Table.Shape[1]);
        int g = _b.Add(spec, [table, _ids!], new GatherParams(First: 0));
        var r = new ActVal(_b.Node(g), st, e.Shape);
        if (e.Addend is { } add)
        {
            double sa = Math.Max(add.Max(Math.Abs), 1e-20) / 32767;
            var w = _b.AddWeight(OnnxQuant.I16Tensor([rows, e.Table.Shape[1]], add.Select(v => v / sa).ToArray()));
            bool wide = FeedsNormOnly(e.Name); // the embedding sum into the first LayerNorm: I16 (OPS §5.6)
            double so = wide ? Scale16(e.Name) : Scale(e.Name);
            var (ma, mb, s) = OnnxQuant.AddMultipliers(st / so, sa / so);
            int node = wide
                ? _b.Add(new TensorSpec(ElemType.I16, [.. spec.Dims]), [r.Ref, w], new AddParams(ma, s, short.MinValue, short.MaxValue, mb))
                : _b.Add(spec, [r.Ref, w], new AddParams(ma, s, -128, 127, mb));
            r = new ActVal(_b.Node(node), so, e.Shape);
        }
        _v["\0emb:" + e.Name] = r;
        return r;
    }
}
