using System.Numerics.Tensors;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// A float reference interpreter for the ONNX ops the importer supports (plus the shape ops exporters wrap around
/// them). The importer uses it to fold constants, to calibrate activation scales on sample inputs and to fill LUTs;
/// it is never on a committed path. Values are float32 (int64 for integer tensors), as ONNX Runtime computes them.
/// </summary>
public sealed class OnnxEvaluator(OnnxModel model)
{
    public OnnxModel Model { get; } = model;

    /// <summary>Runs the nodes (all, or those in <paramref name="only"/>) on the given inputs; returns every value.</summary>
    public Dictionary<string, OnnxTensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs, ISet<int>? only = null)
    {
        var v = new Dictionary<string, OnnxTensor>(Model.Initializers);
        foreach (var (k, t) in inputs) v[k] = t;
        foreach (var n in Model.Nodes)
        {
            if (only is not null && !only.Contains(n.Index)) continue;
            var ins = n.Inputs.Select(i => i.Length == 0 ? null : v.TryGetValue(i, out var t) ? t : throw new OnnxImportException($"node {n.DisplayName} ({n.OpType}): input '{i}' has no value")).ToArray();
            var outs = Eval(n, ins, Model.Opset);
            for (int i = 0; i < outs.Length && i < n.Outputs.Count; i++) v[n.Outputs[i]] = outs[i];
        }
        return v;
    }

    /// <summary>One node on its inputs (null = absent optional input).</summary>
    public static OnnxTensor[] Eval(OnnxNode n, OnnxTensor?[] ins, int opset)
    {
        OnnxTensor In(int i) => i < ins.Length && ins[i] is { } t ? t : throw OnnxImportException.Unsupported(n, $"input {i} is missing");
        if (OnnxElementwise.Unary(n) is { } f && n.OpType != "Identity")
            return [Map(In(0), f)];
        if (OnnxElementwise.Binary(n.OpType) is { } g)
        {
            var acc = In(0);
            for (int i = 1; i < ins.Length; i++) acc = Zip(acc, In(i), g, n);
            if (n.OpType == "Mean") acc = Map(acc, x => x / ins.Length);
            return [acc];
        }
        switch (n.OpType)
        {
            case "Identity": return [In(0)];
            case "Constant": return [Constant(n)];
            case "Cast": return [Cast(In(0), (int)n.Int("to", 1))];
            case "Shape": return [OnnxTensor.Int([In(0).Rank], In(0).Shape.Select(d => (long)d).ToArray())];
            case "Clip":
            {
                double lo = opset >= 11 ? (ins.Length > 1 && ins[1] is { } a ? a[0] : double.NegativeInfinity) : n.Float("min", float.NegativeInfinity);
                double hi = opset >= 11 ? (ins.Length > 2 && ins[2] is { } b ? b[0] : double.PositiveInfinity) : n.Float("max", float.PositiveInfinity);
                return [Map(In(0), x => Math.Min(Math.Max(x, lo), hi))];
            }
            case "Reshape": return [In(0).WithShape(ReshapeTarget(In(0).Shape, In(1).AsLongs(), n.Int("allowzero", 0) != 0, n))];
            case "Flatten":
            {
                var x = In(0);
                int ax = OnnxShapes.Axis(n.Int("axis", 1), x.Rank + 1, n);
                int a = x.Shape.Take(ax).Aggregate(1, (p, d) => p * d);
                return [x.WithShape([a, x.Count / Math.Max(a, 1)])];
            }
            case "Unsqueeze":
            {
                var axes = opset >= 13 ? In(1).AsLongs() : n.Ints("axes")!;
                var x = In(0);
                int r = x.Rank + axes.Length;
                var set = axes.Select(a => OnnxShapes.Axis(a, r, n)).ToHashSet();
                var shape = new int[r];
                for (int i = 0, j = 0; i < r; i++) shape[i] = set.Contains(i) ? 1 : x.Shape[j++];
                return [x.WithShape(shape)];
            }
            case "Squeeze":
            {
                var x = In(0);
                long[]? axes = opset >= 13 ? (ins.Length > 1 && ins[1] is { } a ? a.AsLongs() : null) : n.Ints("axes");
                var set = axes?.Select(a => OnnxShapes.Axis(a, x.Rank, n)).ToHashSet();
                return [x.WithShape(x.Shape.Where((d, i) => set is null ? d != 1 : !set.Contains(i)).ToArray())];
            }
            case "Transpose":
            {
                var x = In(0);
                var perm = n.Ints("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, x.Rank).Reverse().ToArray();
                return [Transpose(x, perm)];
            }
            case "Concat": return [Concat(ins.Select((t, i) => In(i)).ToArray(), n)];
            case "Gather": return [Gather(In(0), In(1), OnnxShapes.Axis(n.Int("axis", 0), In(0).Rank, n), n)];
            case "Slice": return [Slice(n, ins, opset)];
            case "Split": return Split(n, ins, opset);
            case "MatMul": return [MatMul(In(0), In(1), n)];
            case "Gemm": return [Gemm(n, In(0), In(1), ins.Length > 2 ? ins[2] : null)];
            case "Softmax": return [Softmax(In(0), n, opset, log: false)];
            case "LogSoftmax": return [Softmax(In(0), n, opset, log: true)];
            case "ReduceMean" or "ReduceSum":
            {
                var x = In(0);
                long[]? axes = n.OpType == "ReduceSum" && opset >= 13 ? (ins.Length > 1 && ins[1] is { } a ? a.AsLongs() : null) : n.Ints("axes");
                return [Reduce(x, axes, n.Int("keepdims", 1) != 0, n.OpType == "ReduceMean", n)];
            }
            case "LayerNormalization": return [LayerNorm(n, In(0), In(1), ins.Length > 2 ? ins[2] : null)];
            default: throw OnnxImportException.Unsupported(n);
        }
    }

    // ------------------------------------------------------------------ helpers

    public static OnnxTensor Map(OnnxTensor x, Func<double, double> f)
    {
        var src = x.AsFloats();
        var r = new float[src.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)f(src[i]);
        return OnnxTensor.Float(x.Shape, r);
    }

    private static OnnxTensor Zip(OnnxTensor a, OnnxTensor b, Func<double, double, double> f, OnnxNode n)
    {
        var shape = OnnxShapes.Broadcast(a.Shape, b.Shape, n);
        var ia = OnnxShapes.BroadcastIndex(a.Shape, shape);
        var ib = OnnxShapes.BroadcastIndex(b.Shape, shape);
        if (!a.IsFloat && !b.IsFloat)
        {
            var r = new long[ia.Length];
            for (int i = 0; i < r.Length; i++)
            {
                long x = a.I![ia[i]], y = b.I![ib[i]];
                r[i] = n.OpType switch { "Div" => y == 0 ? 0 : x / y, "Pow" => (long)Math.Pow(x, y), _ => (long)f(x, y) };
            }
            return OnnxTensor.Int(shape, r);
        }
        var fa = a.AsFloats();
        var fb = b.AsFloats();
        var o = new float[ia.Length];
        for (int i = 0; i < o.Length; i++) o[i] = (float)f(fa[ia[i]], fb[ib[i]]);
        return OnnxTensor.Float(shape, o);
    }

    private static OnnxTensor Constant(OnnxNode n)
    {
        if (n.TensorAttribute("value") is { } t) return OnnxTensors.FromProto(t, $"node {n.DisplayName}");
        if (n.Has("value_float")) return OnnxTensor.Scalar(n.Float("value_float", 0));
        if (n.Has("value_int")) return OnnxTensor.Int([], [n.Int("value_int", 0)]);
        if (n.Floats("value_floats") is { } fs) return OnnxTensor.Float([fs.Length], fs);
        if (n.Ints("value_ints") is { } xs) return OnnxTensor.Int([xs.Length], xs);
        throw OnnxImportException.Unsupported(n, "only tensor, float(s) and int(s) values");
    }

    private static OnnxTensor Cast(OnnxTensor x, int to) => (OnnxElementType)to switch
    {
        OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16 => OnnxTensor.Float(x.Shape, x.AsFloats()),
        OnnxElementType.Bool => OnnxTensor.Int(x.Shape, Enumerable.Range(0, x.Count).Select(i => x[i] != 0 ? 1L : 0L).ToArray()),
        _ => OnnxTensor.Int(x.Shape, x.AsLongs()),
    };

    public static int[] ReshapeTarget(int[] from, long[] target, bool allowZero, OnnxNode n)
    {
        var shape = new int[target.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == 0 && !allowZero) d = i < from.Length ? from[i] : throw OnnxImportException.Unsupported(n, "0 past the input rank");
            if (d == -1) { infer = i; continue; }
            shape[i] = checked((int)d);
            known *= d;
        }
        int count = OnnxTensor.CountOf(from);
        if (infer >= 0) shape[infer] = known == 0 ? 0 : (int)(count / known);
        if (OnnxTensor.CountOf(shape) != count) throw new OnnxImportException($"node {n.DisplayName} (Reshape): cannot reshape {OnnxShapes.Show(from)} to {OnnxShapes.Show(shape)}");
        return shape;
    }

    public static OnnxTensor Transpose(OnnxTensor x, int[] perm)
    {
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var inStrides = OnnxShapes.Strides(x.Shape);
        int n = x.Count, r = shape.Length;
        var idx = new int[n];
        var coord = new int[r];
        for (int e = 0; e < n; e++)
        {
            int src = 0;
            for (int i = 0; i < r; i++) src += coord[i] * inStrides[perm[i]];
            idx[e] = src;
            for (int i = r - 1; i >= 0; i--) { if (++coord[i] < shape[i]) break; coord[i] = 0; }
        }
        return Select(x, shape, idx);
    }

    private static OnnxTensor Select(OnnxTensor x, int[] shape, int[] idx) =>
        x.IsFloat ? OnnxTensor.Float(shape, idx.Select(i => x.F![i]).ToArray()) : OnnxTensor.Int(shape, idx.Select(i => x.I![i]).ToArray());

    private static OnnxTensor Concat(OnnxTensor[] xs, OnnxNode n)
    {
        int rank = xs[0].Rank, axis = OnnxShapes.Axis(n.Int("axis", 0), rank, n);
        var shape = (int[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(t => t.Shape[axis]);
        int outer = shape.Take(axis).Aggregate(1, (p, d) => p * d);
        var idx = new List<(int T, int I)>();
        for (int o = 0; o < outer; o++)
            for (int t = 0; t < xs.Length; t++)
            {
                int block = xs[t].Count / Math.Max(outer, 1);
                for (int i = 0; i < block; i++) idx.Add((t, o * block + i));
            }
        bool isFloat = xs.Any(t => t.IsFloat);
        return isFloat ? OnnxTensor.Float(shape, idx.Select(p => (float)xs[p.T][p.I]).ToArray()) : OnnxTensor.Int(shape, idx.Select(p => xs[p.T].I![p.I]).ToArray());
    }

    private static OnnxTensor Gather(OnnxTensor data, OnnxTensor indices, int axis, OnnxNode n)
    {
        var ids = indices.AsLongs();
        int outer = data.Shape.Take(axis).Aggregate(1, (p, d) => p * d), dim = data.Shape[axis];
        int inner = data.Shape.Skip(axis + 1).Aggregate(1, (p, d) => p * d);
        var shape = data.Shape.Take(axis).Concat(indices.Shape).Concat(data.Shape.Skip(axis + 1)).ToArray();
        var idx = new int[outer * ids.Length * inner];
        int e = 0;
        for (int o = 0; o < outer; o++)
            foreach (long id0 in ids)
            {
                long id = id0 < 0 ? id0 + dim : id0;
                if (id < 0 || id >= dim) throw new OnnxImportException($"node {n.DisplayName} (Gather): index {id0} out of range [0, {dim})");
                for (int i = 0; i < inner; i++) idx[e++] = (o * dim + (int)id) * inner + i;
            }
        return Select(data, shape, idx);
    }

    private static OnnxTensor Slice(OnnxNode n, OnnxTensor?[] ins, int opset)
    {
        var (begin, shape) = SliceRange(n, ins[0]!.Shape, ins, opset);
        return Crop(ins[0]!, begin, shape);
    }

    /// <summary>Slice's begin and length on every axis of <paramref name="shape"/> (bounds clamped as ONNX says; steps of 1 only).</summary>
    internal static (int[] Begin, int[] Length) SliceRange(OnnxNode n, int[] shape, OnnxTensor?[] ins, int opset)
    {
        long[] starts, ends;
        long[]? axes, steps;
        if (opset >= 10) { starts = ins[1]!.AsLongs(); ends = ins[2]!.AsLongs(); axes = ins.Length > 3 ? ins[3]?.AsLongs() : null; steps = ins.Length > 4 ? ins[4]?.AsLongs() : null; }
        else { starts = n.Ints("starts")!; ends = n.Ints("ends")!; axes = n.Ints("axes"); steps = null; }
        var begin = new int[shape.Length];
        var length = (int[])shape.Clone();
        for (int i = 0; i < starts.Length; i++)
        {
            int ax = OnnxShapes.Axis(axes?[i] ?? i, shape.Length, n);
            long d = shape[ax], st = steps?[i] ?? 1;
            if (st != 1) throw OnnxImportException.Unsupported(n, "steps other than 1");
            long s = starts[i] < 0 ? starts[i] + d : starts[i], e = ends[i] < 0 ? ends[i] + d : ends[i];
            s = Math.Clamp(s, 0, d);
            e = Math.Clamp(e, 0, d);
            begin[ax] = (int)s;
            length[ax] = (int)Math.Max(0, e - s);
        }
        return (begin, length);
    }

    private static OnnxTensor[] Split(OnnxNode n, OnnxTensor?[] ins, int opset)
    {
        var x = ins[0]!;
        int axis = OnnxShapes.Axis(n.Int("axis", 0), x.Rank, n);
        var sizes = SplitSizes(n, x.Shape[axis], ins, opset);
        var outs = new OnnxTensor[sizes.Length];
        int at = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            var begin = new int[x.Rank];
            var shape = (int[])x.Shape.Clone();
            (begin[axis], shape[axis]) = (at, sizes[i]);
            outs[i] = Crop(x, begin, shape);
            at += sizes[i];
        }
        return outs;
    }

    /// <summary>Split's part sizes along an axis of length <paramref name="dim"/>: the split input (attribute before opset 13), else equal parts.</summary>
    internal static int[] SplitSizes(OnnxNode n, int dim, OnnxTensor?[] ins, int opset)
    {
        var given = opset >= 13 ? (ins.Length > 1 ? ins[1]?.AsLongs() : null) : n.Ints("split");
        int parts = n.Outputs.Count;
        if (given is null && dim % parts != 0) throw OnnxImportException.Unsupported(n, $"{dim} does not split into {parts} equal parts");
        var sizes = given?.Select(v => checked((int)v)).ToArray() ?? Enumerable.Repeat(dim / parts, parts).ToArray();
        if (sizes.Length != parts || sizes.Sum() != dim || sizes.Any(v => v < 0)) throw OnnxImportException.Unsupported(n, $"split sizes [{string.Join(", ", sizes)}] for {parts} outputs of an axis of {dim}");
        return sizes;
    }

    /// <summary>The box of <paramref name="x"/> starting at <paramref name="begin"/> with the given shape.</summary>
    private static OnnxTensor Crop(OnnxTensor x, int[] begin, int[] shape)
    {
        var inStrides = OnnxShapes.Strides(x.Shape);
        int count = OnnxTensor.CountOf(shape), r = shape.Length;
        var idx = new int[count];
        var coord = new int[r];
        for (int e = 0; e < count; e++)
        {
            int src = 0;
            for (int i = 0; i < r; i++) src += (begin[i] + coord[i]) * inStrides[i];
            idx[e] = src;
            for (int i = r - 1; i >= 0; i--) { if (++coord[i] < shape[i]) break; coord[i] = 0; }
        }
        return Select(x, shape, idx);
    }

    public static OnnxTensor MatMul(OnnxTensor a, OnnxTensor b, OnnxNode n)
    {
        var sa = a.Rank == 1 ? new[] { 1, a.Shape[0] } : a.Shape;
        var sb = b.Rank == 1 ? new[] { b.Shape[0], 1 } : b.Shape;
        int M = sa[^2], K = sa[^1], N = sb[^1];
        if (sb[^2] != K) throw new OnnxImportException($"node {n.DisplayName} (MatMul): inner dims {K} and {sb[^2]} differ");
        var batch = OnnxShapes.Broadcast(sa[..^2], sb[..^2], n);
        var ia = OnnxShapes.BroadcastIndex(sa[..^2], batch);
        var ib = OnnxShapes.BroadcastIndex(sb[..^2], batch);
        var fa = a.AsFloats();
        var fb = b.AsFloats();
        var o = new float[ia.Length * M * N];
        var col = new float[K];
        for (int bt = 0; bt < ia.Length; bt++)
        {
            int oa = ia[bt] * M * K, ob = ib[bt] * K * N, oo = bt * M * N;
            for (int j = 0; j < N; j++)
            {
                for (int k = 0; k < K; k++) col[k] = fb[ob + k * N + j];
                for (int i = 0; i < M; i++) o[oo + i * N + j] = TensorPrimitives.Dot(fa.AsSpan(oa + i * K, K), col);
            }
        }
        var shape = batch.Concat(a.Rank == 1 ? [] : new[] { M }).Concat(b.Rank == 1 ? [] : new[] { N }).ToArray();
        return OnnxTensor.Float(shape, o);
    }

    private static OnnxTensor Gemm(OnnxNode n, OnnxTensor a, OnnxTensor b, OnnxTensor? c)
    {
        if (n.Int("transA", 0) != 0) a = Transpose(a, [1, 0]);
        if (n.Int("transB", 0) != 0) b = Transpose(b, [1, 0]);
        double alpha = n.Float("alpha", 1), beta = n.Float("beta", 1);
        var y = Map(MatMul(a, b, n), v => alpha * v);
        return c is null ? y : Zip(y, Map(c, v => beta * v), (p, q) => p + q, n);
    }

    private static OnnxTensor Softmax(OnnxTensor x, OnnxNode n, int opset, bool log)
    {
        int axis = OnnxShapes.Axis(n.Int("axis", opset >= 13 ? -1 : 1), x.Rank, n);
        var f = x.AsFloats();
        var o = new float[f.Length];
        // opset < 13: the input is coerced to 2-D at axis; opset >= 13: softmax along that one axis.
        int inner = opset >= 13 ? x.Shape.Skip(axis + 1).Aggregate(1, (p, d) => p * d) : 1;
        int len = opset >= 13 ? x.Shape[axis] : x.Shape.Skip(axis).Aggregate(1, (p, d) => p * d);
        int outer = f.Length / (len * inner);
        for (int ob = 0; ob < outer; ob++)
            for (int ib = 0; ib < inner; ib++)
            {
                int at(int j) => (ob * len + j) * inner + ib;
                double m = double.NegativeInfinity, z = 0;
                for (int j = 0; j < len; j++) m = Math.Max(m, f[at(j)]);
                for (int j = 0; j < len; j++) z += Math.Exp(f[at(j)] - m);
                for (int j = 0; j < len; j++) o[at(j)] = (float)(log ? f[at(j)] - m - Math.Log(z) : Math.Exp(f[at(j)] - m) / z);
            }
        return OnnxTensor.Float(x.Shape, o);
    }

    private static OnnxTensor Reduce(OnnxTensor x, long[]? axes, bool keep, bool mean, OnnxNode n)
    {
        var set = (axes is null || axes.Length == 0 ? Enumerable.Range(0, x.Rank).Select(i => (long)i) : axes).Select(a => OnnxShapes.Axis(a, x.Rank, n)).ToHashSet();
        var keptShape = x.Shape.Select((d, i) => set.Contains(i) ? 1 : d).ToArray();
        var outIdx = OnnxShapes.BroadcastIndex(keptShape, x.Shape); // maps each input element to its output slot
        int count = OnnxTensor.CountOf(keptShape);
        var acc = new double[count];
        var f = x.AsFloats();
        for (int i = 0; i < f.Length; i++) acc[outIdx[i]] += f[i];
        int per = f.Length / Math.Max(count, 1);
        var o = acc.Select(v => (float)(mean ? v / per : v)).ToArray();
        return OnnxTensor.Float(keep ? keptShape : x.Shape.Where((d, i) => !set.Contains(i)).ToArray(), o);
    }

    private static OnnxTensor LayerNorm(OnnxNode n, OnnxTensor x, OnnxTensor scale, OnnxTensor? bias)
    {
        int axis = OnnxShapes.Axis(n.Int("axis", -1), x.Rank, n);
        double eps = n.Float("epsilon", 1e-5f);
        int d = x.Shape.Skip(axis).Aggregate(1, (p, q) => p * q);
        var f = x.AsFloats();
        var g = scale.AsFloats();
        var b = bias?.AsFloats();
        var o = new float[f.Length];
        for (int r = 0; r < f.Length / d; r++)
        {
            double mu = 0, v = 0;
            for (int i = 0; i < d; i++) mu += f[r * d + i];
            mu /= d;
            for (int i = 0; i < d; i++) v += (f[r * d + i] - mu) * (f[r * d + i] - mu);
            double inv = 1 / Math.Sqrt(v / d + eps);
            for (int i = 0; i < d; i++) o[r * d + i] = (float)((f[r * d + i] - mu) * inv * g[i % g.Length] + (b is null ? 0 : b[i % b.Length]));
        }
        return OnnxTensor.Float(x.Shape, o);
    }
}
