#!/usr/bin/env bash
# Run every guest/bin/NAME.elf under qemu-riscv32 and compare its exit status
# with guest/tests/EXPECTED ("trap" = killed by SIGTRAP, status 133).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v qemu-riscv32 >/dev/null || { echo "run_qemu.sh: install qemu-user (apt-get install qemu-user)" >&2; exit 2; }
fail=0
while read -r name want; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    elf="$HERE/bin/$name.elf"
    if [[ ! -f "$elf" ]]; then echo "MISSING $name"; fail=1; continue; fi
    # in a subshell whose stderr is discarded, so bash's "Trace/breakpoint trap" note is hidden
    got=$( { qemu-riscv32 "$elf" >/dev/null 2>&1; echo $?; } 2>/dev/null )
    if [[ "$want" == trap ]]; then
        [[ $got -eq 133 ]] && res=ok || res=FAIL
        got_s="$got (SIGTRAP=133)"
    else
        [[ $got -eq $want ]] && res=ok || res=FAIL
        got_s=$got
    fi
    printf '%-6s %-12s expected %-5s qemu %s\n' "$res" "$name" "$want" "$got_s"
    [[ $res == ok ]] || fail=1
done < "$HERE/tests/EXPECTED"
exit $fail
