namespace OpmlNode.Inference.Ops;

/// <summary>
/// One kernel per op. A backend implements this once, with its own argument type <typeparamref name="TIo"/> (host
/// spans for the CPU backends, device views for ILGPU); a new op adds one method here and the compiler then asks every
/// backend for it.
/// </summary>
public interface IOpKernels<in TIo> where TIo : allows ref struct
{
    void MatMul(in MatMulParams p, TIo io);
    void Add(in AddParams p, TIo io);
    void Mul(in MulParams p, TIo io);
    void Requant(in RequantParams p, TIo io);
    void Lut(in LutParams p, TIo io);
    void Norm(in NormParams p, TIo io);
    void Softmax(in SoftmaxParams p, TIo io);
    void Rope(in RopeParams p, TIo io);
    void Attention(in AttentionParams p, TIo io);
    void Gather(in GatherParams p, TIo io);
    void Argmax(in ArgmaxParams p, TIo io);
    void Concat(in ConcatParams p, TIo io);
    void ScatterRow(in ScatterRowParams p, TIo io);
    void Position(in PositionParams p, TIo io);
    void TokenSelect(in TokenSelectParams p, TIo io);
}
