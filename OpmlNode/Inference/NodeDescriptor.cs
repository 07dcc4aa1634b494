using System.Buffers.Binary;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference;

/// <summary>A node descriptor: the 352-byte little-endian record loaded into VM region 1 (OPS §2). Construction decodes and
/// validates the op's named <see cref="Parameters"/> (OPS §5, <c>Inference/Ops/</c>); <see cref="Decode"/> also rejects
/// non-canonical bytes.</summary>
public sealed class NodeDescriptor
{
    public const int Size = 352;
    public const int MaxInputs = 8;
    public const int ParamCount = 16;
    public const uint Magic = 0x4C4D504F; // "OPML"
    public const ushort Version = 1;
    private const int InputsOffset = 32;
    private const int InputRecordSize = 32;
    private const int ParamsOffset = InputsOffset + MaxInputs * InputRecordSize; // 288

    private readonly int[] _params;
    private readonly InputRef[] _inputs;

    /// <summary>A descriptor from its op's named parameters.</summary>
    public NodeDescriptor(TensorSpec output, IReadOnlyList<InputRef> inputs, IOpParams parameters)
        : this(parameters.Op, output, inputs, parameters.Words())
    {
    }

    /// <summary>A descriptor from the raw parameter words of OPS §2 (int32[16]), as decoded from bytes.</summary>
    public NodeDescriptor(OpCode op, TensorSpec output, IReadOnlyList<InputRef> inputs, ReadOnlySpan<int> parameters = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count > MaxInputs) throw new InvalidDescriptorException($"{inputs.Count} inputs; at most {MaxInputs}");
        if (parameters.Length > ParamCount) throw new InvalidDescriptorException($"{parameters.Length} params; at most {ParamCount}");
        Op = op;
        Output = output;
        _inputs = [.. inputs];
        _params = new int[ParamCount];
        parameters.CopyTo(_params);
        foreach (var r in _inputs)
        {
            if (!Enum.IsDefined(r.Kind)) throw new InvalidDescriptorException($"invalid ref kind {(int)r.Kind}");
            if (r.Kind != RefKind.Node && r.Lag != 0) throw new InvalidDescriptorException("lag is only allowed on NODE references");
            if (r.Kind == RefKind.TaskInput && r.Index != 0) throw new InvalidDescriptorException("TASK_INPUT index must be 0");
        }
        Parameters = OpParams.Decode(this);
    }

    public OpCode Op { get; }
    public TensorSpec Output { get; }
    public IReadOnlyList<InputRef> Inputs => _inputs;
    /// <summary>The op's named, validated parameters.</summary>
    public IOpParams Parameters { get; }

    /// <summary>The parameters as the op's struct; throws if the descriptor is of another op.</summary>
    public T ParamsAs<T>() where T : IOpParams => Parameters is T p ? p : throw new InvalidOperationException($"{Op} node has no {typeof(T).Name}");

    /// <summary>The raw parameter words; read only by the ops' <c>Decode</c> (named parameters everywhere else).</summary>
    internal ReadOnlySpan<int> Words => _params;
    public TensorSpec In(int i) => _inputs[i].Spec;

    public byte[] Encode()
    {
        var b = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(b, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), (ushort)Op);
        b[8] = (byte)_inputs.Length;
        WriteSpec(b.AsSpan(9), b.AsSpan(12), Output);
        for (int i = 0; i < _inputs.Length; i++)
        {
            var rec = b.AsSpan(InputsOffset + i * InputRecordSize, InputRecordSize);
            var r = _inputs[i];
            rec[0] = (byte)r.Kind;
            WriteSpec(rec[1..], rec[12..], r.Spec);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[4..], r.Index);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[8..], r.Lag);
        }
        for (int k = 0; k < ParamCount; k++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(ParamsOffset + 4 * k), _params[k]);
        return b;
    }

    /// <summary>Type byte, rank byte at <paramref name="typeRank"/>[0..1]; dims u32[4] at <paramref name="dims"/>.</summary>
    private static void WriteSpec(Span<byte> typeRank, Span<byte> dims, TensorSpec s)
    {
        typeRank[0] = (byte)s.Type;
        typeRank[1] = (byte)s.Rank;
        for (int i = 0; i < s.Rank; i++) BinaryPrimitives.WriteUInt32LittleEndian(dims[(4 * i)..], (uint)s.Dims[i]);
    }

    private static TensorSpec ReadSpec(ReadOnlySpan<byte> typeRank, ReadOnlySpan<byte> dims, string what)
    {
        var type = (ElemType)typeRank[0];
        if (!ElemTypes.IsValid(type)) throw new InvalidDescriptorException($"{what}: invalid element type {typeRank[0]}");
        int rank = typeRank[1];
        if (rank is < 1 or > TensorSpec.MaxRank) throw new InvalidDescriptorException($"{what}: rank {rank} not in 1..4");
        var d = new int[rank];
        for (int i = 0; i < TensorSpec.MaxRank; i++)
        {
            uint v = BinaryPrimitives.ReadUInt32LittleEndian(dims[(4 * i)..]);
            if (i < rank)
            {
                if (v is 0 or > (uint)TensorSpec.MaxBytes) throw new InvalidDescriptorException($"{what}: dim {i} = {v} out of range");
                d[i] = (int)v;
            }
            else if (v != 0) throw new InvalidDescriptorException($"{what}: unused dim {i} must be 0");
        }
        try { return new TensorSpec(type, d); }
        catch (InvalidDescriptorException e) { throw new InvalidDescriptorException($"{what}: {e.Message}"); }
    }

    public static NodeDescriptor Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length != Size) throw new InvalidDescriptorException($"descriptor is {b.Length} bytes; must be {Size}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(b) != Magic) throw new InvalidDescriptorException("bad magic");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(b[4..]);
        if (version != Version) throw new InvalidDescriptorException($"unsupported version {version}");
        ushort op = BinaryPrimitives.ReadUInt16LittleEndian(b[6..]);
        if (!Enum.IsDefined((OpCode)op)) throw new InvalidDescriptorException($"unknown op code {op}");
        int n = b[8];
        if (n > MaxInputs) throw new InvalidDescriptorException($"{n} inputs; at most {MaxInputs}");
        if (b[11] != 0 || BinaryPrimitives.ReadUInt32LittleEndian(b[28..]) != 0) throw new InvalidDescriptorException("reserved header bytes must be 0");
        var output = ReadSpec(b[9..], b[12..], "output");
        var inputs = new InputRef[n];
        for (int i = 0; i < MaxInputs; i++)
        {
            var rec = b.Slice(InputsOffset + i * InputRecordSize, InputRecordSize);
            if (i >= n)
            {
                if (rec.ContainsAnyExcept((byte)0)) throw new InvalidDescriptorException($"unused input record {i} must be zero");
                continue;
            }
            if (rec[3] != 0 || BinaryPrimitives.ReadUInt32LittleEndian(rec[28..]) != 0) throw new InvalidDescriptorException($"input {i}: reserved bytes must be 0");
            var kind = (RefKind)rec[0];
            if (!Enum.IsDefined(kind)) throw new InvalidDescriptorException($"input {i}: invalid ref kind {rec[0]}");
            inputs[i] = new InputRef(kind, BinaryPrimitives.ReadUInt32LittleEndian(rec[4..]), BinaryPrimitives.ReadUInt32LittleEndian(rec[8..]),
                ReadSpec(rec[1..], rec[12..], $"input {i}"));
        }
        var p = new int[ParamCount];
        for (int k = 0; k < ParamCount; k++) p[k] = BinaryPrimitives.ReadInt32LittleEndian(b[(ParamsOffset + 4 * k)..]);
        return new NodeDescriptor((OpCode)op, output, inputs, p);
    }

    public override string ToString() => $"{Op}({string.Join(", ", _inputs.Select(r => $"{r.Kind}{(r.Kind == RefKind.TaskInput ? "" : $"({r.Index}{(r.Lag != 0 ? $",lag {r.Lag}" : "")})")}:{r.Spec}"))}) -> {Output} {{{Parameters.Describe()}}}";
}
