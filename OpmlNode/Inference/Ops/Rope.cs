using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Rope</c> (op 8, OPS §5.8): rotary position embedding with an int16 Q14 cos/sin table.</summary>
/// <remarks>
/// Inputs: x I8 [R, C] (C a multiple of hd); table I16 [P, hd/2, 2] of (cos, sin); pos I32 (element 0 is the first
/// row's position). Params: P[0] hd (even, ≥ 2). Row r has position q = wrap32(pos + r); rows with q outside [0, P)
/// are copied unchanged. For each pair (a, b) = (x[2i'], x[2i'+1]) with i = (column mod hd) / 2:
/// <code>y0 = Clamp(RoundShift(a·cos − b·sin, 14), I8);  y1 = Clamp(RoundShift(a·sin + b·cos, 14), I8)</code>
/// </remarks>
public readonly record struct RopeParams(int HeadDim) : IOpParams
{
    public void Reference(OpIo io)
    {
        int rows = io.InSpec(0).Rows, c = io.InSpec(0).Cols, hd = HeadDim, tableRows = TableRows(io.Descriptor);
        int pos0 = io.Get(2, 0);
        for (int r = 0; r < rows; r++)
        {
            int q = unchecked(pos0 + r);
            for (int col = 0; col < c; col += 2)
            {
                int a = io.Get(0, r * c + col), b = io.Get(0, r * c + col + 1);
                int y0 = a, y1 = b;
                if (q >= 0 && q < tableRows)
                {
                    int i = (col % hd) / 2;
                    int cos = io.Get(1, (q * (hd / 2) + i) * 2), sin = io.Get(1, (q * (hd / 2) + i) * 2 + 1);
                    y0 = QMath.Clamp(QMath.RoundShift(a * cos - b * sin, 14), int.MinValue, int.MaxValue, ElemType.I8);
                    y1 = QMath.Clamp(QMath.RoundShift(a * sin + b * cos, 14), int.MinValue, int.MaxValue, ElemType.I8);
                }
                io.Set(r * c + col, y0);
                io.Set(r * c + col + 1, y1);
            }
        }
    }

    public OpCode Op => OpCode.Rope;

    public void Encode(Span<int> w) => OpParams.Write(w, HeadDim);

    public static RopeParams Decode(NodeDescriptor d)
    {
        var p = new RopeParams(d.Words[0]);
        Inputs(d, 3);
        Type(d, 0, ElemType.I8); Type(d, 1, ElemType.I16); Type(d, 2, ElemType.I32);
        int hd = p.HeadDim;
        Check(hd >= 2 && hd % 2 == 0 && d.In(0).Cols % hd == 0, d, $"hd = {hd} must be even and divide C = {d.In(0).Cols}");
        var cs = d.In(1);
        Check(cs.Rank == 3 && cs.Dims[1] == hd / 2 && cs.Dims[2] == 2, d, "cos/sin table must be I16 [P, hd/2, 2]");
        Check(d.Output.Type == ElemType.I8, d, "Rope output must be I8");
        SameDims(d, 0);
        return p;
    }

    /// <summary>P, the table's positions.</summary>
    public static int TableRows(NodeDescriptor d) => d.In(1).Dims[0];

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Rope(this, io);
}
