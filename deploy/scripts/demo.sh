#!/usr/bin/env bash
# The main job, as far as it is built:
#  1. synthesise a small LLaMA-style int8 model, decode with it natively (CPU SIMD), and print the graph root S_N;
#  2. re-run slots of that task in the RV32IM fault-proof VM from their committed inputs (what a dispute's
#     phase 2 does) and check each VM output root equals the native one;
#  3. run the int8 matrix guest on the VM, take the witness of one step deep into the run, and have the
#     Solidity RiscvStep contract on a local anvil chain execute that step from its Merkle proofs: it must reach
#     the same post-state as the C# VM, and reject a tampered proof.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/scripts/install-deps.sh
dotnet build OpmlNode/OpmlNode.csproj -c Release -nologo -v q
(cd contracts && npx --no-install forge build >/dev/null 2>&1)
node="dotnet OpmlNode/bin/Release/net10.0/opml-node.dll"
witness=$(mktemp --suffix=.json)
model=$(mktemp --suffix=.opml)
trap 'rm -f "$witness" "$model" "$model.roots"' EXIT

echo "== synthesise a LLaMA-style int8 model and decode 12 tokens natively"
$node model synth --arch llama --preset small --seed 1 --out "$model" --force
$node infer --model "$model" --input-tokens 5,17,42 --passes 12

echo; echo "== every slot of the first two passes, re-run in the RV32IM VM from its committed inputs"
$node infer --model "$model" --input-tokens 5,17,42 --passes 2 --vm-all | grep -E "^vm (guest|slots)|DIFFERS|!= composed"

echo; echo "== run guest/bin/matmul8.elf (int8 matmul, ~1.5e8 RV32IM steps), witness of step 100,000,000"
set +e
$node vm run guest/bin/matmul8.elf --witness-at 100000000 --out "$witness"
code=$?
set -e
[ "$code" -eq 190 ] || { echo "unexpected guest exit code $code" >&2; exit 1; }

echo; echo "== the contract executes that step on chain"
$node chain verify-step --witness "$witness"
echo; echo "== the same witness with one proof byte flipped"
$node chain verify-step --witness "$witness" --tamper
