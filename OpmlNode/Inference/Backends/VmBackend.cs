using OpmlNode.Crypto;
using OpmlNode.Vm;

namespace OpmlNode.Inference.Backends;

/// <summary>
/// Runs a node on the RV32IM VM with the <c>opml-ops</c> guest image (PROTOCOL §3 memory map): a fresh memory with the
/// image in region 0, the 352 descriptor bytes in region 1, input i in region 2 + i; the output is read from region 10.
/// This is exactly the computation a fraud proof bisects, so its bytes must equal <see cref="ScalarBackend"/>'s.
/// </summary>
public sealed class VmBackend : IOpBackend
{
    public const uint DescriptorAddress = 0x1000_0000;
    public const uint InputBase = 0x2000_0000;
    public const uint RegionSize = 0x1000_0000;
    public const uint OutputAddress = 0xA000_0000;
    public const int DescriptorRegion = 1, FirstInputRegion = 2, OutputRegion = 10;
    /// <summary>Default step budget per node (the graph builder tiles nodes far below this, OPS §4).</summary>
    public const ulong DefaultMaxSteps = 20_000_000_000;

    private readonly byte[] _elf;

    public VmBackend(byte[] elf, ulong maxSteps = DefaultMaxSteps)
    {
        ArgumentNullException.ThrowIfNull(elf);
        ElfLoader.Load(elf); // fail early on a bad image
        _elf = elf;
        MaxSteps = maxSteps;
    }

    public static VmBackend FromFile(string path, ulong maxSteps = DefaultMaxSteps) => new(File.ReadAllBytes(path), maxSteps);

    /// <summary>The opml-ops guest embedded in this assembly (guest/bin/opml-ops.elf at build time).</summary>
    public static VmBackend Embedded(ulong maxSteps = DefaultMaxSteps) => new(EmbeddedElf(), maxSteps);

    public static byte[] EmbeddedElf()
    {
        using var s = typeof(VmBackend).Assembly.GetManifestResourceStream("opml-ops.elf")
            ?? throw new InvalidOperationException("the opml-ops guest is not embedded in this build");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }

    public string Name => "vm";
    public ulong MaxSteps { get; }
    public ReadOnlySpan<byte> Elf => _elf;

    /// <summary>Region-0 root of the loaded image (PROTOCOL §3: the program root).</summary>
    public Hash256 ProgramRoot() => NodeStartState.ProgramRoot(_elf);

    public void Execute(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output)
    {
        var ins = OpBackendExtensions.PrepareInputs(d, inputs, output);
        var run = Run(d.Encode(), ins, output.Length);
        if (run.Exited == ExitKind.Exited && GuestExitCodes.IsInvalidDescriptor(run.ExitCode))
            throw new InvalidDescriptorException($"opml-ops guest rejected {d.Op}: exit code {run.ExitCode} ({GuestExitCodes.Describe(run.ExitCode)}) after {run.Steps} steps");
        EnsureSucceeded(run, d.Op.ToString());
        run.Output.CopyTo(output);
    }

    /// <summary>Throws <see cref="VmOpException"/> naming the exit code / trap unless the run exited with 0.</summary>
    public static void EnsureSucceeded(VmOpRun run, string what)
    {
        if (run.Succeeded) return;
        string why = run.Exited switch
        {
            ExitKind.Trapped => $"trapped ({run.Trap}, cause {run.ExitCode})",
            ExitKind.Running => "did not finish within its step budget",
            _ => $"exited with code {run.ExitCode} ({GuestExitCodes.Describe(run.ExitCode)})",
        };
        throw new VmOpException($"opml-ops guest {why} running {what} after {run.Steps} steps", run);
    }

    /// <summary>
    /// The start memory of a node run: image, descriptor bytes (any 352 bytes, valid or not) and inputs placed per
    /// PROTOCOL §3. Returns the entry pc.
    /// </summary>
    public uint LoadStartMemory(PagedMemory memory, ReadOnlySpan<byte> descriptor, ReadOnlySpan<ReadOnlyMemory<byte>> inputs)
    {
        if (descriptor.Length != NodeDescriptor.Size) throw new ArgumentException($"descriptor must be {NodeDescriptor.Size} bytes, got {descriptor.Length}", nameof(descriptor));
        if (inputs.Length > NodeDescriptor.MaxInputs) throw new ArgumentException($"at most {NodeDescriptor.MaxInputs} inputs, got {inputs.Length}", nameof(inputs));
        var image = ElfLoader.Load(_elf, memory);
        memory.Write(DescriptorAddress, descriptor);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].Length > RegionSize) throw new ArgumentException($"input {i} is larger than a region", nameof(inputs));
            memory.Write(InputBase + (uint)i * RegionSize, inputs[i].Span);
        }
        return image.Entry;
    }

    /// <summary>Runs the guest on raw descriptor bytes and returns how it ended; never throws on a guest failure.</summary>
    public VmOpRun Run(ReadOnlySpan<byte> descriptor, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, int outputLength, ulong? maxSteps = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputLength);
        var memory = new PagedMemory();
        uint entry = LoadStartMemory(memory, descriptor, inputs);
        var m = new Machine(memory, entry);
        m.Run(maxSteps ?? MaxSteps);
        var output = new byte[outputLength];
        memory.Read(OutputAddress, output);
        return new VmOpRun(m.Exited, m.ExitCode, m.Step, output);
    }

    /// <summary>Runs a (valid) node and returns the run including its step count; throws like <see cref="Execute"/>.</summary>
    public VmOpRun RunNode(NodeDescriptor d, params QTensor[] inputs)
    {
        var mem = inputs.Select(t => (ReadOnlyMemory<byte>)t.Data).ToArray();
        var run = Run(d.Encode(), mem, d.Output.ByteLength);
        EnsureSucceeded(run, d.Op.ToString());
        return run;
    }
}
