#!/usr/bin/env bash
# Runs every test of the project and ends with one line: "N passed, N failed".
#   1. guest/build.sh --check: the checked-in guest ELFs rebuild byte for byte (clang-14/lld-14);
#      tools/keccak/generate.sh --check: the generated keccak permutations are what the generators write;
#      dotnet format whitespace --verify-no-changes: the code follows .editorconfig
#   2. dotnet test (Release): unit, differential (fast VM vs reference stepper vs qemu), CLI, anvil integration
#   3. forge test: the Solidity step, incl. replay of C#-exported witnesses (PROTOCOL §4.7)
set -uo pipefail
cd "$(dirname "$0")/../.."
bash deploy/scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0
log=$(mktemp -d)

echo "== guest reproducibility (guest/build.sh --check)"
if bash guest/build.sh --check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== generated code (tools/keccak/generate.sh --check)"
if bash tools/keccak/generate.sh --check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== formatting (dotnet format whitespace --verify-no-changes, .editorconfig)"
if dotnet format whitespace OpmlNode.sln --verify-no-changes; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== build"
if ! dotnet build OpmlNode.sln -c Release -nologo -v q; then echo "0 passed, 1 failed"; exit 1; fi

echo "== witness fixture for the Solidity replay"
fixture=contracts/test/fixtures/witnesses.bin
mkdir -p contracts/test/fixtures
small=$(ls guest/bin/*.elf | grep -v matmul8)
if ! dotnet OpmlNode/bin/Release/net10.0/opml-node.dll vm witness $small --max-steps 1200 --random 40 --seed 1 --coverage --out "$fixture"; then
  failed=$((failed + 1))
fi

echo "== forge test"
(cd contracts && npx --no-install forge build >/dev/null 2>&1)
OPML_WITNESSES_REQUIRED=true OPML_WITNESSES=test/fixtures/witnesses.bin \
  bash -c 'cd contracts && npx --no-install forge test -vv' 2>&1 | grep -v "npm warn" | tee "$log/forge.txt"
line=$(grep -E "^Ran [0-9]+ test suites?" "$log/forge.txt" | tail -1)
if [ -n "$line" ]; then
  p=$(echo "$line" | grep -oE "[0-9]+ tests passed" | grep -oE "^[0-9]+"); f=$(echo "$line" | grep -oE "[0-9]+ failed" | grep -oE "^[0-9]+")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
else
  failed=$((failed + 1))
fi

echo "== dotnet test"
dotnet test OpmlNode.sln -c Release --no-build -nologo 2>&1 | tee "$log/dotnet.txt"
line=$(grep -E "(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+" "$log/dotnet.txt" | tail -1)
if [ -n "$line" ]; then
  p=$(echo "$line" | sed -E 's/.*Passed: +([0-9]+).*/\1/'); f=$(echo "$line" | sed -E 's/.*Failed: +([0-9]+), +Passed.*/\1/')
  passed=$((passed + p)); failed=$((failed + f))
else
  failed=$((failed + 1))
fi

rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
