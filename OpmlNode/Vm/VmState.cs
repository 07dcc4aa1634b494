using System.Buffers.Binary;
using OpmlNode.Crypto;

namespace OpmlNode.Vm;

/// <summary>Whether and how a VM run ended (PROTOCOL §4.1 <c>exited</c> byte).</summary>
public enum ExitKind : byte
{
    Running = 0,
    Exited = 1,
    Trapped = 2,
}

/// <summary>Why a step trapped (PROTOCOL §4.4); stored in the state's exit code byte.</summary>
public enum TrapCause : byte
{
    None = 0,
    IllegalInstruction = 1,
    MisalignedPc = 2,
    MisalignedLoad = 3,
    MisalignedStore = 4,
    Breakpoint = 5,
    UnknownEcall = 6,
}

/// <summary>
/// The VM state as the protocol packs it (PROTOCOL §4.1): memRoot, pc, x1..x31, step, exited, exitCode,
/// big-endian, 170 bytes. This is the value the fast VM exports and the reference stepper and contract consume.
/// </summary>
public sealed class VmState
{
    public const int Size = 170;
    public const int PcOffset = 32;
    public const int RegsOffset = 36;
    public const int StepOffset = 160;
    public const int ExitedOffset = 168;
    public const int ExitCodeOffset = 169;

    public Hash256 MemRoot;
    public uint Pc;
    /// <summary>x0..x31; x0 is always zero and is not encoded.</summary>
    public readonly uint[] Regs = new uint[32];
    public ulong Step;
    public ExitKind Exited;
    public byte ExitCode;

    public VmState Clone()
    {
        var c = new VmState { MemRoot = MemRoot, Pc = Pc, Step = Step, Exited = Exited, ExitCode = ExitCode };
        Regs.CopyTo(c.Regs, 0);
        return c;
    }

    public byte[] Encode()
    {
        var b = new byte[Size];
        Encode(b);
        return b;
    }

    public void Encode(Span<byte> b)
    {
        if (b.Length != Size) throw new ArgumentException($"state buffer must be {Size} bytes", nameof(b));
        MemRoot.CopyTo(b);
        BinaryPrimitives.WriteUInt32BigEndian(b[PcOffset..], Pc);
        for (var k = 1; k < 32; k++) BinaryPrimitives.WriteUInt32BigEndian(b[(RegsOffset + 4 * (k - 1))..], Regs[k]);
        BinaryPrimitives.WriteUInt64BigEndian(b[StepOffset..], Step);
        b[ExitedOffset] = (byte)Exited;
        b[ExitCodeOffset] = ExitCode;
    }

    /// <summary>Decodes a packed state; throws <see cref="MalformedWitnessException"/> on a wrong length or exited byte.</summary>
    public static VmState Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length != Size) throw new MalformedWitnessException($"state must be {Size} bytes, got {b.Length}");
        if (b[ExitedOffset] > 2) throw new MalformedWitnessException($"state exited byte must be 0, 1 or 2, got {b[ExitedOffset]}");
        var s = new VmState
        {
            MemRoot = new Hash256(b[..32]),
            Pc = BinaryPrimitives.ReadUInt32BigEndian(b[PcOffset..]),
            Step = BinaryPrimitives.ReadUInt64BigEndian(b[StepOffset..]),
            Exited = (ExitKind)b[ExitedOffset],
            ExitCode = b[ExitCodeOffset],
        };
        for (var k = 1; k < 32; k++) s.Regs[k] = BinaryPrimitives.ReadUInt32BigEndian(b[(RegsOffset + 4 * (k - 1))..]);
        return s;
    }

    /// <summary>Status byte of PROTOCOL §4.2: 0 exited ok, 1 exited nonzero, 2 trapped, 3 running.</summary>
    public static byte Status(ExitKind exited, byte exitCode) => exited switch
    {
        ExitKind.Running => 3,
        ExitKind.Exited => exitCode == 0 ? (byte)0 : (byte)1,
        _ => 2,
    };

    /// <summary>keccak256 of the packed state with its first byte replaced by the status (PROTOCOL §4.2).</summary>
    public static Hash256 HashOf(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length != Size) throw new MalformedWitnessException($"state must be {Size} bytes, got {encoded.Length}");
        Span<byte> h = stackalloc byte[32];
        Keccak256.Hash(encoded, h);
        h[0] = Status((ExitKind)encoded[ExitedOffset], encoded[ExitCodeOffset]);
        return new Hash256(h);
    }

    public Hash256 Hash()
    {
        Span<byte> b = stackalloc byte[Size];
        Encode(b);
        return HashOf(b);
    }
}
