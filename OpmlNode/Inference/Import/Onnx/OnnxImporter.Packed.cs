namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// A packed projection (PyTorch's nn.MultiheadAttention: one in-projection x·W_qkv + b sliced into Q, K and V) as one
/// MatMul per slice on the slice's weight columns and bias entries — the same numbers in float as the packed product
/// sliced. Done while lowering, not as a rewrite beforehand: the slice bounds are shape arithmetic (Shape → Gather →
/// Div → Mul) that only becomes constant once the import has fixed the shapes.
/// </summary>
public sealed partial class OnnxImporter
{
    /// <summary>
    /// Defers x·W [+ bias] as a <see cref="PackedVal"/> if every reader is a Slice / Split of it (data input only) or a
    /// Shape; false leaves it to <see cref="Linear"/>.
    /// </summary>
    private bool DeferPacked(OnnxNode mm, ActVal x, int N, int K, Func<int, int, float> w)
    {
        string name = mm.Outputs[0];
        var fused = BiasAdd(name, N, x.Shape.Length);
        var (add, bias) = (fused?.Add, fused?.Bias);
        if (add is not null) name = add.Outputs[0];
        var readers = Consumers(name);
        bool sliced = readers.Any(r => r.OpType is "Slice" or "Split");
        if (name == _output || !sliced || !readers.All(r => r.OpType == "Shape" || (r.OpType is "Slice" or "Split" && r.Inputs[0] == name && !r.Inputs.Skip(1).Contains(name))))
            return false;
        if (add is not null) _done.Add(add.Index);
        _v[name] = new PackedVal(x, N, K, w, bias, [.. x.Shape[..^1], N]);
        return true;
    }

    /// <summary>Slice / Split of a packed projection along its last axis with constant bounds; anything else is refused.</summary>
    private void SlicePacked(OnnxNode n, Val?[] ins)
    {
        if (ins[0] is not PackedVal p)
            throw OnnxImportException.Unsupported(n, $"a slice of {Describe(ins[0]!)}: only of a MatMul by a constant [+ bias] that nothing but Slice, Split and Shape reads");
        int nonConst = Array.FindIndex(ins, 1, v => v is not null and not ConstVal);
        if (nonConst > 0) throw OnnxImportException.Unsupported(n, $"input {nonConst} ({n.Inputs[nonConst]}) is not a constant");
        var consts = ins.Select(v => (v as ConstVal)?.T).ToArray();
        int last = p.Shape.Length - 1;
        if (n.OpType == "Split")
        {
            int axis = OnnxShapes.Axis(n.Int("axis", 0), p.Shape.Length, n);
            if (axis != last) throw OnnxImportException.Unsupported(n, $"a split of a packed projection along axis {axis}, not the last");
            int at = 0;
            foreach (var (size, output) in OnnxEvaluator.SplitSizes(n, p.N, consts, _m.Opset).Zip(n.Outputs))
            {
                if (output.Length > 0 && (output == _output || Consumers(output).Count > 0)) Part(n, p, at, size, output);
                at += size;
            }
            return;
        }
        var (begin, length) = OnnxEvaluator.SliceRange(n, p.Shape, consts, _m.Opset);
        for (int ax = 0; ax < last; ax++)
            if (begin[ax] != 0 || length[ax] != p.Shape[ax]) throw OnnxImportException.Unsupported(n, $"a slice of a packed projection along axis {ax}, not only the last");
        Part(n, p, begin[last], length[last], n.Outputs[0]);
    }

    /// <summary>Columns [from, from + count) of the packed product as their own MatMul (+ those bias entries).</summary>
    private void Part(OnnxNode n, PackedVal p, int from, int count, string output)
    {
        if (count <= 0) throw OnnxImportException.Unsupported(n, "an empty part of a packed projection");
        Linear(n, p.X, count, p.K, (j, k) => p.W(from + j, k), 1, p.Bias?[from..(from + count)], output);
    }
}
