namespace OpmlNode.Inference.Ops;

/// <summary>
/// The named, validated parameters of one op (OPS §5): decoded once from a descriptor's 16 parameter words by
/// <see cref="OpParams.Decode"/>, encoded back by <see cref="Encode"/>, and handed to a backend's kernel for that op by
/// <see cref="Dispatch{TIo}"/> (so every backend implements every op: <see cref="IOpKernels{TIo}"/>).
/// </summary>
public interface IOpParams
{
    OpCode Op { get; }

    /// <summary>Writes the canonical parameter words (OPS §2: int32[16], unused words 0); ops without params keep this default.</summary>
    void Encode(Span<int> words) => words.Clear();

    /// <summary>Calls the kernel of this op on <paramref name="kernels"/>.</summary>
    void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct;

    /// <summary>The reference formula of OPS §5 (the oracle every backend is tested against).</summary>
    void Reference(OpIo io);
}
