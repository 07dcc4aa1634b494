namespace OpmlNode.Inference.Import.Onnx;

/// <summary>Shape arithmetic shared by the float evaluator and the importer: axes, broadcasting, strides.</summary>
public static class OnnxShapes
{
    public static int Axis(long axis, int rank, OnnxNode node)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1)) throw new OnnxImportException($"node {node.DisplayName} ({node.OpType}): axis {axis} out of range for rank {rank}");
        return (int)a;
    }

    public static int[] Broadcast(int[] a, int[] b, OnnxNode node)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1) throw new OnnxImportException($"node {node.DisplayName} ({node.OpType}): shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast");
            o[i] = Math.Max(da, db);
        }
        return o;
    }

    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>For each element of <paramref name="outShape"/>, the flat index of the element of <paramref name="inShape"/> broadcast onto it.</summary>
    public static int[] BroadcastIndex(int[] inShape, int[] outShape)
    {
        int n = OnnxTensor.CountOf(outShape), r = outShape.Length, off = r - inShape.Length;
        var inStrides = Strides(inShape);
        var idx = new int[n];
        var coord = new int[r];
        for (int e = 0; e < n; e++)
        {
            int src = 0;
            for (int i = 0; i < inShape.Length; i++) if (inShape[i] != 1) src += coord[i + off] * inStrides[i];
            idx[e] = src;
            for (int i = r - 1; i >= 0; i--) { if (++coord[i] < outShape[i]) break; coord[i] = 0; }
        }
        return idx;
    }

    public static bool SameShape(IReadOnlyList<int> a, IReadOnlyList<int> b) => a.SequenceEqual(b);

    public static string Show(IReadOnlyList<int> shape) => $"[{string.Join(", ", shape)}]";
}
