#!/usr/bin/env python3
"""Check guest ELFs against the OpmlNode VM's loader and strict decoder
(docs/PROTOCOL.md §3.1, §4.3):

  * ELF32 little-endian, EXEC, e_machine 243, entry and every PT_LOAD byte
    inside region 0 (0x00000000-0x0FFFFFFF);
  * every 32-bit word of every executable PT_LOAD segment decodes as a legal
    RV32IM instruction under the VM's strict rules: no compressed (16-bit)
    encodings, no CSR / MRET / WFI, only ECALL 0x00000073 and EBREAK
    0x00100073 in SYSTEM, FENCE only with funct3 0, and so on.

    guest/tools/check_isa.py guest/bin/*.elf
Exit status 0 if all files pass, 1 otherwise.
"""
import struct
import sys

REGION0_END = 0x10000000


def illegal(w):
    """Return None if w is legal for the VM, else a reason string."""
    op = w & 0x7F
    f3 = (w >> 12) & 7
    f7 = w >> 25
    if w & 3 != 3:
        return "compressed (16-bit) encoding"
    if op in (0x37, 0x17, 0x6F):
        return None
    if op == 0x67:
        return None if f3 == 0 else "JALR funct3 != 0"
    if op == 0x63:
        return None if f3 in (0, 1, 4, 5, 6, 7) else "bad BRANCH funct3"
    if op == 0x03:
        return None if f3 in (0, 1, 2, 4, 5) else "bad LOAD funct3"
    if op == 0x23:
        return None if f3 in (0, 1, 2) else "bad STORE funct3"
    if op == 0x13:
        if f3 == 1 and f7 != 0:
            return "SLLI funct7 != 0"
        if f3 == 5 and f7 not in (0x00, 0x20):
            return "SRLI/SRAI bad funct7"
        return None
    if op == 0x33:
        if f7 in (0x00, 0x01):
            return None
        if f7 == 0x20 and f3 in (0, 5):
            return None
        return "bad OP funct7"
    if op == 0x0F:
        return None if f3 == 0 else "MISC-MEM funct3 != 0 (FENCE.I?)"
    if op == 0x73:
        if w in (0x00000073, 0x00100073):
            return None
        return "SYSTEM other than ECALL/EBREAK (CSR/MRET/WFI)"
    return "illegal opcode 0x%02x" % op


def check(path):
    errs = []
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        return ["not an ELF32 little-endian file"]
    (e_type, e_machine, _, e_entry, e_phoff, _, _, _, e_phentsize, e_phnum) = \
        struct.unpack_from("<HHIIIIIHHH", data, 16)
    if e_type != 2:
        errs.append("e_type %d != EXEC" % e_type)
    if e_machine != 243:
        errs.append("e_machine %d != 243" % e_machine)
    if e_entry >= REGION0_END or e_entry % 4:
        errs.append("bad entry 0x%x" % e_entry)
    ninsn = 0
    for i in range(e_phnum):
        p_type, p_off, p_vaddr, _, p_filesz, p_memsz, p_flags, _ = \
            struct.unpack_from("<8I", data, e_phoff + i * e_phentsize)
        if p_type != 1:
            continue
        if p_vaddr + p_memsz > REGION0_END or p_memsz < p_filesz:
            errs.append("PT_LOAD at 0x%x size 0x%x outside region 0" % (p_vaddr, p_memsz))
        if p_flags & 1:  # executable
            if p_filesz % 4 or p_vaddr % 4:
                errs.append("executable segment not word-sized/aligned")
            for off in range(0, p_filesz - p_filesz % 4, 4):
                (w,) = struct.unpack_from("<I", data, p_off + off)
                why = illegal(w)
                ninsn += 1
                if why:
                    errs.append("0x%08x: %08x %s" % (p_vaddr + off, w, why))
    if ninsn == 0:
        errs.append("no executable PT_LOAD segment")
    return errs


def main():
    bad = 0
    for path in sys.argv[1:]:
        errs = check(path)
        if errs:
            bad = 1
            for e in errs:
                print("%s: %s" % (path, e))
        else:
            print("%s: OK" % path)
    sys.exit(bad)


if __name__ == "__main__":
    main()
