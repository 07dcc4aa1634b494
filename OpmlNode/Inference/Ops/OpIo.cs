using System.Runtime.InteropServices;

namespace OpmlNode.Inference.Ops;

/// <summary>
/// A node's host buffers for one call: the descriptor (types and shapes), the inputs (each exactly its declared byte
/// length, see <see cref="OpBackendExtensions.PrepareInputs"/>) and the output (exactly the output's byte length).
/// </summary>
public readonly ref struct OpIo
{
    public OpIo(NodeDescriptor descriptor, ReadOnlyMemory<byte>[] inputs, Span<byte> output)
    {
        Descriptor = descriptor;
        Inputs = inputs;
        Output = output;
    }

    public NodeDescriptor Descriptor { get; }
    public ReadOnlyMemory<byte>[] Inputs { get; }
    public Span<byte> Output { get; }

    public TensorSpec InSpec(int i) => Descriptor.In(i);
    public TensorSpec OutSpec => Descriptor.Output;
    public ReadOnlySpan<byte> In(int i) => Inputs[i].Span;

    /// <summary>Element <paramref name="i"/> of input <paramref name="input"/>, sign-extended.</summary>
    public int Get(int input, int i) => ElemTypes.Read(Inputs[input].Span, Descriptor.In(input).Type, i);

    /// <summary>Writes output element <paramref name="i"/> (already in the output type's range).</summary>
    public void Set(int i, int value) => ElemTypes.Write(Output, Descriptor.Output.Type, i, value);

    public ReadOnlySpan<sbyte> I8(int input) => MemoryMarshal.Cast<byte, sbyte>(Inputs[input].Span);
    public ReadOnlySpan<short> I16(int input) => MemoryMarshal.Cast<byte, short>(Inputs[input].Span);
    public ReadOnlySpan<int> I32(int input) => MemoryMarshal.Cast<byte, int>(Inputs[input].Span);
}
