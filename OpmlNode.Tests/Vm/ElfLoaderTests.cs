using System.Buffers.Binary;
using OpmlNode.Merkle;
using OpmlNode.Tests.Support;
using OpmlNode.Vm;

namespace OpmlNode.Tests.Vm;

public class ElfLoaderTests
{
    private static byte[] Good() => File.ReadAllBytes(Repo.Guest("exit_code"));

    [Fact]
    public void LoadsEntryAndSegmentsIntoRegionZeroOnly()
    {
        var image = ElfLoader.Load(Good());
        Assert.Equal(0x10000u, image.Entry & 0xFFFF0000);
        Assert.True(image.SegmentCount >= 1);
        for (var r = 1; r < 16; r++) Assert.Equal(ZeroHashes.At(23), image.Memory.RegionRoot(r));
        Assert.NotEqual(ZeroHashes.At(23), image.Memory.RegionRoot(0));
    }

    [Fact]
    public void ProgramRootIsReproducible() =>
        Assert.Equal(ElfLoader.Load(Good()).Memory.RegionRoot(0), ElfLoader.Load(Good()).Memory.RegionRoot(0));

    public static TheoryData<string, Func<byte[], byte[]>, string> BadFiles() => new()
    {
        { "empty", _ => [], "shorter than an ELF32 header" },
        { "text", _ => "hello world, this is not an executable at all....."u8.ToArray().Concat(new byte[20]).ToArray(), "bad magic" },
        { "64-bit", b => Patch(b, 4, 2), "ELFCLASS32" },
        { "big-endian", b => Patch(b, 5, 2), "little-endian" },
        { "x86", b => Patch16(b, 18, 3), "RISC-V (243)" },
        { "relocatable", b => Patch16(b, 16, 1), "ET_EXEC" },
        { "entry outside region 0", b => Patch32(b, 24, 0x2000_0000), "entry point 0x20000000 is outside region 0" },
        { "segment outside region 0", b => Patch32(b, PhField(b, 0, 8), 0x0FFF_FFF0), "outside region 0" },
        { "truncated", b => b[..(int)(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(PhField(b, 0, 4))) + 8)], "outside the file" },
        { "headers past the end", b => Patch32(b, 28, 0x7FFF_0000), "outside the file" },
        { "no PT_LOAD", b => { var c = b.ToArray(); for (var i = 0; i < BinaryPrimitives.ReadUInt16LittleEndian(c.AsSpan(44)); i++) BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(PhField(c, i, 0)), 6); return c; }, "no PT_LOAD" },
        { "filesz > memsz", b => Patch32(b, PhField(b, 0, 16), 0xFFFF_0000), "exceeds memory size" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFilesGiveClearErrors(string name, Func<byte[], byte[]> corrupt, string message)
    {
        var e = Assert.Throws<ElfLoadException>(() => ElfLoader.Load(corrupt(Good())));
        Assert.Contains(message, e.Message);
        Assert.False(string.IsNullOrEmpty(name));
    }

    private static int PhField(byte[] b, int index, int offset) =>
        (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(28)) + index * BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(42)) + offset;

    private static byte[] Patch(byte[] b, int at, byte v) { var c = b.ToArray(); c[at] = v; return c; }
    private static byte[] Patch16(byte[] b, int at, ushort v) { var c = b.ToArray(); BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(at), v); return c; }
    private static byte[] Patch32(byte[] b, int at, uint v) { var c = b.ToArray(); BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(at), v); return c; }
}
