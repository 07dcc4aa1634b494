using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Backends;

/// <summary>
/// The reference (oracle) backend: runs each op's <see cref="IOpParams.Reference"/>, the element-at-a-time transcription
/// of OPS §5 kept beside the op's parameters in <c>Inference/Ops/</c>. Slow and obvious on purpose; every other backend is
/// tested against it by tensor root.
/// </summary>
public sealed class ScalarBackend : IOpBackend
{
    public static readonly ScalarBackend Instance = new();

    public string Name => "scalar";

    public void Execute(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output)
    {
        var ins = OpBackendExtensions.PrepareInputs(d, inputs, output);
        output.Clear();
        d.Parameters.Reference(new OpIo(d, ins, output));
    }
}
