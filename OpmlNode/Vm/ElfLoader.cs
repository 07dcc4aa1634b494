using System.Buffers.Binary;

namespace OpmlNode.Vm;

/// <summary>A guest image that cannot be loaded, with a message meant for the user.</summary>
public sealed class ElfLoadException(string message) : Exception(message);

/// <summary>A loaded guest: its entry pc and the memory holding its segments (PROTOCOL §3.1).</summary>
public sealed record GuestImage(uint Entry, PagedMemory Memory, int SegmentCount);

/// <summary>Loads bare-metal ELF32 RISC-V executables into region 0 (PROTOCOL §3.1).</summary>
public static class ElfLoader
{
    private const ushort MachineRiscV = 243;
    private const uint PtLoad = 1;
    public const uint Region0End = 0x1000_0000;

    public static GuestImage LoadFile(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ElfLoadException($"cannot read '{path}': {e.Message}"); }
        return Load(bytes);
    }

    public static GuestImage Load(ReadOnlySpan<byte> elf, PagedMemory? memory = null)
    {
        if (elf.Length < 52) throw new ElfLoadException($"not an ELF file: {elf.Length} bytes is shorter than an ELF32 header");
        if (elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F') throw new ElfLoadException("not an ELF file: bad magic");
        if (elf[4] != 1) throw new ElfLoadException($"wrong ELF class {elf[4]}: a 32-bit (ELFCLASS32) RISC-V executable is required");
        if (elf[5] != 1) throw new ElfLoadException("wrong ELF data encoding: little-endian is required");
        var type = BinaryPrimitives.ReadUInt16LittleEndian(elf[16..]);
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(elf[18..]);
        if (machine != MachineRiscV) throw new ElfLoadException($"wrong ELF machine {machine}: RISC-V (243) is required");
        if (type != 2) throw new ElfLoadException($"wrong ELF type {type}: an executable (ET_EXEC) is required");
        var entry = BinaryPrimitives.ReadUInt32LittleEndian(elf[24..]);
        var phoff = BinaryPrimitives.ReadUInt32LittleEndian(elf[28..]);
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[42..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[44..]);
        if (phnum == 0) throw new ElfLoadException("ELF has no program headers");
        if (phentsize < 32) throw new ElfLoadException($"bad program header size {phentsize}");
        if ((ulong)phoff + (ulong)phentsize * phnum > (ulong)elf.Length) throw new ElfLoadException("program headers lie outside the file (truncated ELF?)");
        if (entry >= Region0End) throw new ElfLoadException($"entry point 0x{entry:x8} is outside region 0 (0x00000000-0x0fffffff)");

        memory ??= new PagedMemory();
        var loaded = 0;
        for (var i = 0; i < phnum; i++)
        {
            var ph = elf.Slice((int)(phoff + (uint)(i * phentsize)), 32);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != PtLoad) continue;
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(ph[4..]);
            var vaddr = BinaryPrimitives.ReadUInt32LittleEndian(ph[8..]);
            var filesz = BinaryPrimitives.ReadUInt32LittleEndian(ph[16..]);
            var memsz = BinaryPrimitives.ReadUInt32LittleEndian(ph[20..]);
            if (filesz > memsz) throw new ElfLoadException($"segment {i}: file size {filesz} exceeds memory size {memsz}");
            if ((ulong)offset + filesz > (ulong)elf.Length) throw new ElfLoadException($"segment {i}: bytes 0x{offset:x}+{filesz} lie outside the file (truncated ELF?)");
            if ((ulong)vaddr + memsz > Region0End)
                throw new ElfLoadException($"segment {i} at 0x{vaddr:x8} (+{memsz} bytes) lies outside region 0 (0x00000000-0x0fffffff)");
            memory.Write(vaddr, elf.Slice((int)offset, (int)filesz));
            if (memsz > filesz) memory.Clear(vaddr + filesz, memsz - filesz); // bss

            loaded++;
        }
        if (loaded == 0) throw new ElfLoadException("ELF has no PT_LOAD segment");
        return new GuestImage(entry, memory, loaded);
    }
}
