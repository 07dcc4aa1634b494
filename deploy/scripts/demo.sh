#!/usr/bin/env bash
# The main job, as far as it is built: run the int8 matrix guest on the fault-proof VM, take the witness of
# one step deep into the run, and have the Solidity RiscvStep contract on a local anvil chain execute that
# step from its Merkle proofs: it must reach the same post-state as the C# VM, and reject a tampered proof.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/scripts/install-deps.sh
dotnet build OpmlNode/OpmlNode.csproj -c Release -nologo -v q
(cd contracts && npx --no-install forge build >/dev/null 2>&1)
node="dotnet OpmlNode/bin/Release/net10.0/opml-node.dll"
witness=$(mktemp --suffix=.json)
trap 'rm -f "$witness"' EXIT

echo "== run guest/bin/matmul8.elf (int8 matmul, ~1.5e8 RV32IM steps), witness of step 100,000,000"
set +e
$node vm run guest/bin/matmul8.elf --witness-at 100000000 --out "$witness"
code=$?
set -e
[ "$code" -eq 190 ] || { echo "unexpected guest exit code $code" >&2; exit 1; }

echo; echo "== the contract executes that step on chain"
$node chain verify-step --witness "$witness"
echo; echo "== the same witness with one proof byte flipped"
$node chain verify-step --witness "$witness" --tamper
