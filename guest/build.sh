#!/usr/bin/env bash
# Build every OpmlNode test guest deterministically into guest/bin/NAME.elf.
#
#   guest/build.sh           rebuild guest/bin/*.elf and guest/bin/SHA256SUMS
#   guest/build.sh --check   rebuild into a temp dir and compare byte-for-byte
#                            with the checked-in guest/bin (CI); nonzero on any
#                            difference.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CC="${CC:-clang-14}"
LD="${LD:-ld.lld-14}"

missing=()
for tool in "$CC" "$LD" sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "build.sh: missing tool(s): ${missing[*]}" >&2
    echo "build.sh: on Debian/Ubuntu install them with:  sudo apt-get install clang-14 lld-14" >&2
    echo "build.sh: (package clang-14 provides clang-14, lld-14 provides ld.lld-14; sha256sum is in coreutils)" >&2
    exit 2
fi

# Exact flags. Keep in sync with guest/README.md.
CFLAGS=(--target=riscv32-unknown-elf -march=rv32im -mabi=ilp32 -mcmodel=medlow
        -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-relax
        -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-exceptions
        -fno-stack-protector -fno-common -ffunction-sections -fdata-sections
        -g0 -fno-ident -ffile-prefix-map="$HERE"=. -Wall -Wextra -Werror
        -I include)
LDFLAGS=(-T link.ld --no-relax --build-id=none --gc-sections --strip-all
         -z noexecstack -z norelro --hash-style=sysv -static -nostdlib)

mode=build
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

export SOURCE_DATE_EPOCH=0 LC_ALL=C
cd "$HERE"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$work/bin"
mkdir -p "$out" "$work/obj"

"$CC" "${CFLAGS[@]}" -c start.S -o "$work/obj/start.o"
"$CC" "${CFLAGS[@]}" -c lib.c -o "$work/obj/lib.o"

names=()
for src in tests/*.c; do
    name="$(basename "$src" .c)"
    names+=("$name")
    "$CC" "${CFLAGS[@]}" -c "$src" -o "$work/obj/$name.o"
    # Object order is fixed: start, test, lib.
    "$LD" "${LDFLAGS[@]}" -o "$out/$name.elf" \
        "$work/obj/start.o" "$work/obj/$name.o" "$work/obj/lib.o"
done

# The op-dispatch guest (docs/OPS.md): every guest/ops/*.c, in sorted order,
# linked into one image guest/bin/opml-ops.elf. Object order: start, ops (sorted), lib.
ops_objs=()
for src in $(printf '%s\n' ops/*.c | sort); do
    obj="$work/obj/ops_$(basename "$src" .c).o"
    "$CC" "${CFLAGS[@]}" -I ops -c "$src" -o "$obj"
    ops_objs+=("$obj")
done
"$LD" "${LDFLAGS[@]}" -o "$out/opml-ops.elf" \
    "$work/obj/start.o" "${ops_objs[@]}" "$work/obj/lib.o"
names+=(opml-ops)

# Every output must satisfy the VM loader and strict decoder (no RVC, no CSRs).
if command -v python3 >/dev/null 2>&1; then
    python3 tools/check_isa.py "$out"/*.elf >"$work/isa.log" ||
        { cat "$work/isa.log" >&2; echo "build.sh: ISA/ELF check failed (see above)" >&2; exit 1; }
else
    echo "build.sh: warning: python3 not found, skipping tools/check_isa.py" >&2
fi

(cd "$out" && sha256sum $(printf '%s.elf\n' "${names[@]}" | sort)) > "$out/SHA256SUMS"

if [[ $mode == build ]]; then
    mkdir -p bin
    rm -f bin/*.elf bin/SHA256SUMS
    cp "$out"/*.elf "$out/SHA256SUMS" bin/
    cat bin/SHA256SUMS
    echo "build.sh: built ${#names[@]} guest(s) into guest/bin/"
    exit 0
fi

# --check
fail=0
for f in "$out"/*.elf "$out/SHA256SUMS"; do
    b="$(basename "$f")"
    if [[ ! -f "bin/$b" ]]; then
        echo "build.sh --check: guest/bin/$b is missing (rebuilt file exists)" >&2
        fail=1
    elif ! cmp -s "$f" "bin/$b"; then
        echo "build.sh --check: guest/bin/$b differs from a fresh build" >&2
        fail=1
    fi
done
for f in bin/*.elf; do
    [[ -e "$f" ]] || continue
    b="$(basename "$f")"
    if [[ ! -f "$out/$b" ]]; then
        echo "build.sh --check: guest/bin/$b has no source in guest/tests/ or guest/ops/" >&2
        fail=1
    fi
done
if ((fail)); then
    echo "build.sh --check: FAILED: checked-in guest ELFs are not reproducible from source; run guest/build.sh and commit guest/bin/" >&2
    exit 1
fi
echo "build.sh --check: OK: ${#names[@]} guest ELF(s) match byte-for-byte"
