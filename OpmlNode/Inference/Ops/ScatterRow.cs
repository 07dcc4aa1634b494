using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>ScatterRow</c> (op 13, OPS §5.13): a buffer with one row replaced (KV-cache update, token buffer).</summary>
/// <remarks>
/// Inputs: buf [Rb, C] (type T, = the output spec); row (T, C elements); pos I32 (element 0). Params: P[0] offset.
/// <code>Out = buf, except row r = wrap32(pos[0] + offset) := row when 0 ≤ r &lt; Rb</code>
/// </remarks>
public readonly record struct ScatterRowParams(int Offset) : IOpParams
{
    /// <summary>A copy and one row copy (also the fast path).</summary>
    public void Reference(OpIo io)
    {
        io.In(0).CopyTo(io.Output);
        int r = Row(io.Get(2, 0));
        int rowBytes = io.OutSpec.Cols * io.OutSpec.Type.Size();
        if ((uint)r < (uint)io.OutSpec.Rows) io.In(1).CopyTo(io.Output.Slice(r * rowBytes, rowBytes));
    }

    public OpCode Op => OpCode.ScatterRow;

    public void Encode(Span<int> w) => OpParams.Write(w, Offset);

    public static ScatterRowParams Decode(NodeDescriptor d)
    {
        var p = new ScatterRowParams(d.Words[0]);
        Inputs(d, 3);
        Check(d.In(0).Equals(d.Output), d, "ScatterRow: buffer spec must equal the output spec");
        Type(d, 1, d.Output.Type);
        Check(d.In(1).ElementCount == d.Output.Cols, d, "ScatterRow: row must have C elements");
        Type(d, 2, ElemType.I32);
        return p;
    }

    /// <summary>The row replaced for position <paramref name="pos"/> (may be out of range: then none is).</summary>
    public int Row(int pos) => unchecked(pos + Offset);

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.ScatterRow(this, io);
}
