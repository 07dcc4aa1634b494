using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Argmax</c> (op 11, OPS §5.11): row argmax, lowest index on ties.</summary>
/// <remarks>
/// Input: x [R, C] (any type). Output I32 with R elements. No params.
/// <code>Out[r] = the lowest c with x[r, c] = max_c' x[r, c']</code>
/// </remarks>
public readonly record struct ArgmaxParams : IOpParams
{
    public void Reference(OpIo io)
    {
        int rows = io.InSpec(0).Rows, c = io.InSpec(0).Cols;
        for (int r = 0; r < rows; r++)
        {
            int best = 0, bestV = io.Get(0, r * c);
            for (int j = 1; j < c; j++)
            {
                int v = io.Get(0, r * c + j);
                if (v > bestV) { bestV = v; best = j; }
            }
            io.Set(r, best);
        }
    }

    public OpCode Op => OpCode.Argmax;

    public static ArgmaxParams Decode(NodeDescriptor d)
    {
        Inputs(d, 1);
        Check(d.Output.Type == ElemType.I32 && d.Output.ElementCount == d.In(0).Rows, d, "Argmax output must be I32 with R elements");
        return default;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Argmax(this, io);
}
