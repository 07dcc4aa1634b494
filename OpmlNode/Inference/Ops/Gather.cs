using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Gather</c> (op 10, OPS §5.10): embedding lookup / row select.</summary>
/// <remarks>
/// Inputs: table [Vr, D] (any type); idx I32 (any shape). Params: P[0] first. Output [n, D], the table's type.
/// <code>Out row r = 0 ≤ idx[first + r] &lt; Vr ? table row idx[first + r] : a zero row</code>
/// </remarks>
public readonly record struct GatherParams(int First) : IOpParams
{
    public void Reference(OpIo io)
    {
        var table = io.InSpec(0);
        int rowBytes = table.Cols * table.Type.Size();
        for (int r = 0; r < io.OutSpec.Rows; r++)
        {
            int idx = io.Get(1, First + r);
            var dst = io.Output.Slice(r * rowBytes, rowBytes);
            if (idx >= 0 && idx < table.Rows) io.In(0).Slice(idx * rowBytes, rowBytes).CopyTo(dst);
            else dst.Clear();
        }
    }

    public OpCode Op => OpCode.Gather;

    public void Encode(Span<int> w) => OpParams.Write(w, First);

    public static GatherParams Decode(NodeDescriptor d)
    {
        var p = new GatherParams(d.Words[0]);
        Inputs(d, 2);
        Type(d, 1, ElemType.I32);
        Check(d.Output.Type == d.In(0).Type, d, "Gather output type must be the table's");
        Check(d.Output.Cols == d.In(0).Cols, d, "Gather output columns must be the table's");
        Check(p.First >= 0 && (long)p.First + d.Output.Rows <= d.In(1).ElementCount, d, "Gather: first + rows exceeds the index count");
        return p;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Gather(this, io);
}
