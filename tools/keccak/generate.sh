#!/usr/bin/env bash
# Writes the generated keccak permutations OpmlNode/Crypto/Keccak256.{Permute,Permute4,Permute8}.g.cs.
#   --check: generate into a temporary directory and fail if the checked-in files differ (CI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/../../OpmlNode/Crypto"
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  python3 "$here/gen_permute_scalar.py" "$tmp"
  python3 "$here/gen_permute_avx2.py" "$tmp"
  python3 "$here/gen_permute_avx512.py" "$tmp"
  status=0
  for f in Keccak256.Permute.g.cs Keccak256.Permute4.g.cs Keccak256.Permute8.g.cs; do
    if ! cmp -s "$tmp/$f" "$target/$f"; then echo "generated file differs: OpmlNode/Crypto/$f (run tools/keccak/generate.sh)" >&2; status=1; fi
  done
  [ $status -eq 0 ] && echo "generated keccak permutations are up to date"
  exit $status
fi
python3 "$here/gen_permute_scalar.py" "$target"
python3 "$here/gen_permute_avx2.py" "$target"
python3 "$here/gen_permute_avx512.py" "$target"
echo "wrote $target/Keccak256.Permute.g.cs, Keccak256.Permute4.g.cs and Keccak256.Permute8.g.cs"
