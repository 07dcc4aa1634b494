#!/usr/bin/env python3
"""Count the RV32 instructions a guest executes, using qemu-user's TB log.

    guest/tools/count_insns.py guest/bin/NAME.elf

Runs `qemu-riscv32 -d in_asm,exec,nochain` (nochain makes every translation
block execution print a `Trace` line) and sums, over all TB executions, the
number of guest instructions in that TB (taken from its `IN:` listing).
This equals the VM step count for guests that end with the exit ecall
(the ecall itself is counted, as our VM counts it as a step); a TB cut short
by a trap mid-block would be over-counted, which the test guests never do
except trap_ebreak.
"""
import re
import subprocess
import sys

def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    proc = subprocess.Popen(
        ["qemu-riscv32", "-d", "in_asm,exec,nochain", sys.argv[1]],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, bufsize=1 << 20)
    insn_re = re.compile(rb"^0x([0-9a-f]+):\s+[0-9a-f]{8}\s")
    tb_size = {}
    cur_start = None
    cur_n = 0
    total = 0
    tbs = 0
    for line in proc.stderr:
        if line.startswith(b"Trace "):
            if cur_start is not None:
                tb_size[cur_start] = cur_n
                cur_start = None
            pc = int(line.split(b"/")[1], 16)
            total += tb_size[pc]
            tbs += 1
        elif line.startswith(b"IN:"):
            cur_start, cur_n = None, 0
        else:
            m = insn_re.match(line)
            if m:
                if cur_start is None:
                    cur_start = int(m.group(1), 16)
                cur_n += 1
    rc = proc.wait()
    print(f"{sys.argv[1]}: {total} instructions in {tbs} TB executions, exit status {rc}")

if __name__ == "__main__":
    main()
