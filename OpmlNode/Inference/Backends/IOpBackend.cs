namespace OpmlNode.Inference.Backends;

/// <summary>
/// Executes one node (OPS §5). <paramref name="inputs"/>[i] holds input i's bytes (OPS §1.2; a buffer shorter than the
/// declared length is read as zero-padded, as its tensor root is), <paramref name="output"/> is exactly the output's
/// byte length and is fully overwritten. Every backend must produce the same bytes as <see cref="ScalarBackend"/>.
/// </summary>
public interface IOpBackend
{
    string Name { get; }

    void Execute(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output);
}

public static class OpBackendExtensions
{
    /// <summary>Convenience: runs the node on tensors and returns the output tensor.</summary>
    public static QTensor Run(this IOpBackend backend, NodeDescriptor d, params QTensor[] inputs)
    {
        var mem = new ReadOnlyMemory<byte>[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) mem[i] = inputs[i].Data;
        var output = new byte[d.Output.ByteLength];
        backend.Execute(d, mem, output);
        return new QTensor(d.Output, output);
    }

    /// <summary>Checks counts and lengths and zero-pads short inputs (OPS §2: a short task input reads as zero-padded).</summary>
    internal static ReadOnlyMemory<byte>[] PrepareInputs(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (inputs.Length != d.Inputs.Count) throw new ArgumentException($"{d.Op} needs {d.Inputs.Count} inputs, got {inputs.Length}", nameof(inputs));
        if (output.Length != d.Output.ByteLength) throw new ArgumentException($"output must be {d.Output.ByteLength} bytes, got {output.Length}", nameof(output));
        var r = new ReadOnlyMemory<byte>[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            int need = d.In(i).ByteLength;
            var m = inputs[i];
            if (m.Length > need) throw new ArgumentException($"input {i} is {m.Length} bytes, declared {d.In(i)} is {need}", nameof(inputs));
            if (m.Length < need)
            {
                var padded = new byte[need];
                m.Span.CopyTo(padded);
                m = padded;
            }
            r[i] = m;
        }
        return r;
    }
}
