using System.Buffers.Binary;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using static OpmlNode.Tests.Inference.T;

namespace OpmlNode.Tests.Inference;

public class DescriptorTests
{
    private static NodeDescriptor Sample() => new(OpCode.MatMul, S(ElemType.I8, 1, 4),
        [N(3, S(ElemType.I8, 1, 16)), W(7, S(ElemType.I8, 8, 16)), W(8, S(ElemType.I32, 8))], [1 << 30, 31, -128, 127, 4, 1]);

    [Fact]
    public void EncodeLayoutMatchesSpec()
    {
        var b = Sample().Encode();
        Assert.Equal(352, b.Length);
        Assert.Equal("OPML"u8.ToArray(), b[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(4)));
        Assert.Equal((ushort)OpCode.MatMul, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(6)));
        Assert.Equal(3, b[8]);
        Assert.Equal((byte)ElemType.I8, b[9]);
        Assert.Equal(2, b[10]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(12)));
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(16)));
        // input 1: WEIGHT(7) I8 [8, 16]
        var rec = b.AsSpan(32 + 32, 32);
        Assert.Equal((byte)RefKind.Weight, rec[0]);
        Assert.Equal((byte)ElemType.I8, rec[1]);
        Assert.Equal(2, rec[2]);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(rec[4..]));
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(rec[12..]));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(rec[16..]));
        Assert.Equal(1 << 30, BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(288)));
        Assert.Equal(4, BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(288 + 16)));
        Assert.True(b.AsSpan(32 + 3 * 32, 5 * 32).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void RoundTripIsCanonical()
    {
        var b = Sample().Encode();
        var d = NodeDescriptor.Decode(b);
        Assert.Equal(b, d.Encode());
        Assert.Equal(OpCode.MatMul, d.Op);
        Assert.Equal(RefKind.Node, d.Inputs[0].Kind);
        Assert.Equal(3u, d.Inputs[0].Index);
    }

    [Theory]
    [InlineData(0, 0x00, "magic")]
    [InlineData(4, 0x02, "version")]
    [InlineData(6, 0x63, "op code")]
    [InlineData(8, 9, "inputs")]
    [InlineData(9, 4, "element type")]
    [InlineData(10, 5, "rank")]
    [InlineData(11, 1, "reserved")]
    [InlineData(24, 1, "unused dim")]
    [InlineData(32 + 3 * 32, 1, "unused input record")]
    [InlineData(32, 9, "ref kind")]
    [InlineData(32 + 3, 1, "reserved")]
    [InlineData(288 + 4 * 10, 1, "unused")]
    [InlineData(12, 0, "dim")]
    public void DecodeRejectsNonCanonical(int offset, byte value, string messagePart)
    {
        var b = Sample().Encode();
        b[offset] = value;
        var e = Assert.Throws<InvalidDescriptorException>(() => NodeDescriptor.Decode(b));
        Assert.Contains(messagePart, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DecodeRejectsWrongLength() =>
        Assert.Throws<InvalidDescriptorException>(() => NodeDescriptor.Decode(new byte[351]));

    [Fact]
    public void ShapeRulesAreEnforced()
    {
        // K mismatch
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 1, 4), [N(0, S(ElemType.I8, 1, 15)), W(0, S(ElemType.I8, 8, 16))], [1, 0, -128, 127, 0, 0]));
        // tile past Nw
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 1, 4), [N(0, S(ElemType.I8, 1, 16)), W(0, S(ElemType.I8, 8, 16))], [1, 0, -128, 127, 5, 0]));
        // shift out of range
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Requant, S(ElemType.I8, 4), [N(0, S(ElemType.I32, 4))], [1, 63, -128, 127]));
        // empty clamp
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Requant, S(ElemType.I8, 4), [N(0, S(ElemType.I32, 4))], [1, 0, 128, 200]));
        // Add multiplier too large
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Add, S(ElemType.I8, 4), [N(0, S(ElemType.I8, 4)), N(1, S(ElemType.I8, 4))], [(1 << 30) + 1, 0, -128, 127, 1]));
        // Norm x I32 (only I8 and I16)
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, 4), [N(0, S(ElemType.I32, 1, 4)), W(0, S(ElemType.I16, 4))], [0, 8, -128, 127, 1, 0]));
        _ = new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, 4), [N(0, S(ElemType.I16, 1, 4)), W(0, S(ElemType.I16, 4))], [0, 8, -128, 127, 1, 0]);
        // Norm eps 0
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, 4), [N(0, S(ElemType.I8, 1, 4)), W(0, S(ElemType.I16, 4))], [0, 8, -128, 127, 0, 0]));
        // GQA: H not multiple of Hkv
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Attention, S(ElemType.I8, 1, 6),
            [N(0, S(ElemType.I8, 1, 6)), N(1, S(ElemType.I8, 4, 4)), N(2, S(ElemType.I8, 4, 4)), W(0, S(ElemType.I32, 256))], [1, 0, -128, 127, 3, 2, 1, 0, 0, 0]));
        // lag on a weight
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Requant, S(ElemType.I8, 4), [new InputRef(RefKind.Weight, 0, 1, S(ElemType.I32, 4))], [1, 0, -128, 127]));
        // more than one region
        Assert.Throws<InvalidDescriptorException>(() => S(ElemType.I32, 1 << 14, 1 << 14));
        // too many inputs
        Assert.Throws<InvalidDescriptorException>(() => new NodeDescriptor(OpCode.Concat, S(ElemType.I8, 1, 9), [.. Enumerable.Range(0, 9).Select(i => N((uint)i, S(ElemType.I8, 1, 1)))]));
    }

    [Fact]
    public void ShortInputIsZeroPadded()
    {
        var prompt = S(ElemType.I32, 9);
        var d = new NodeDescriptor(OpCode.TokenSelect, S(ElemType.I32, 1), [InputRef.TaskInput(prompt), N(0, S(ElemType.I32, 2)), N(1, S(ElemType.I32, 1), 1)]);
        var shortPrompt = new byte[8]; // n = 1, token 5; rest implied zero
        BinaryPrimitives.WriteInt32LittleEndian(shortPrompt, 1);
        BinaryPrimitives.WriteInt32LittleEndian(shortPrompt.AsSpan(4), 5);
        var output = new byte[4];
        foreach (var b in FastBackends.Append(ScalarBackend.Instance))
        {
            b.Execute(d, new ReadOnlyMemory<byte>[] { shortPrompt, new byte[8], new byte[4] }, output);
            Assert.Equal(5, BinaryPrimitives.ReadInt32LittleEndian(output));
        }
        Assert.Throws<ArgumentException>(() => ScalarBackend.Instance.Execute(d, new ReadOnlyMemory<byte>[] { new byte[40], new byte[8], new byte[4] }, output));
    }
}
