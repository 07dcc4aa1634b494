using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Concat</c> (op 12, OPS §5.12): join tiles along the last axis.</summary>
/// <remarks>
/// Inputs: 1..8 tensors of T_out, each [R, C_t]. Output [R, Σ C_t]. No params.
/// <code>Out[r, :] = In[0][r, :] ‖ In[1][r, :] ‖ …</code>
/// </remarks>
public readonly record struct ConcatParams : IOpParams
{
    /// <summary>Row by row, each input's row bytes in order (also the fast path: it is a sequence of span copies).</summary>
    public void Reference(OpIo io)
    {
        int es = io.OutSpec.Type.Size(), off = 0;
        for (int r = 0; r < io.OutSpec.Rows; r++)
            for (int i = 0; i < io.Inputs.Length; i++)
            {
                int len = io.InSpec(i).Cols * es;
                io.In(i).Slice(r * len, len).CopyTo(io.Output[off..]);
                off += len;
            }
    }

    public OpCode Op => OpCode.Concat;

    public static ConcatParams Decode(NodeDescriptor d)
    {
        Check(d.Inputs.Count is >= 1 and <= NodeDescriptor.MaxInputs, d, "Concat needs 1..8 inputs");
        long cols = 0;
        for (int i = 0; i < d.Inputs.Count; i++)
        {
            Type(d, i, d.Output.Type);
            Check(d.In(i).Rows == d.Output.Rows, d, $"input {i} has {d.In(i).Rows} rows, output {d.Output.Rows}");
            cols += d.In(i).Cols;
        }
        Check(cols == d.Output.Cols, d, $"input columns sum to {cols}, output has {d.Output.Cols}");
        return default;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Concat(this, io);
}
