using System.Buffers.Binary;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using static OpmlNode.Tests.Inference.T;

namespace OpmlNode.Tests.Inference;

/// <summary>Params an op does not use must be zero (OPS §2: one encoding per node), in C# and in the guest alike.</summary>
public class CanonicalEncodingTests
{
    private static readonly VmBackend Vm = VmBackend.Embedded();

    public static TheoryData<string, int, int> Cases() => new()
    {
        { "matmul-i32-multiplier", 0, 12345 },
        { "matmul-i32-shift", 1, 7 },
        { "matmul-i32-qmin", 2, -5 },
        { "attention-pad-without-mask", 9, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void UnusedParamsMakeADescriptorInvalidEverywhere(string name, int param, int value)
    {
        var valid = name.StartsWith("matmul") ? MatMulI32() : AttentionWithoutMask();
        var bytes = valid.Encode();
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(288 + 4 * param)));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(288 + 4 * param), value);

        Assert.Throws<InvalidDescriptorException>(() => NodeDescriptor.Decode(bytes));
        var run = Vm.Run(bytes, [], 64);
        Assert.Equal(GuestExitCodes.OpParamRule, run.ExitCode);
        // ... and the unmodified descriptor is accepted by both.
        Assert.Equal(valid.Encode(), NodeDescriptor.Decode(valid.Encode()).Encode());
    }

    private static NodeDescriptor MatMulI32() =>
        new(OpCode.MatMul, S(ElemType.I32, 1, 4), [N(0, S(ElemType.I8, 1, 8)), W(0, S(ElemType.I8, 4, 8))], [0, 0, 0, 0, 0, 0]);

    private static NodeDescriptor AttentionWithoutMask() =>
        new(OpCode.Attention, S(ElemType.I8, 1, 4), [N(0, S(ElemType.I8, 1, 4)), N(1, S(ElemType.I8, 3, 4)), N(2, S(ElemType.I8, 3, 4)), W(0, S(ElemType.I32, 256))],
            [1 << 30, 31, -128, 127, 1, 1, 1, 0, 4, 0]);
}
