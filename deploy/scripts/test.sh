#!/usr/bin/env bash
# Runs every test of the project and ends with one line: "N passed, N failed".
#   1. guest/build.sh --check: the checked-in guest ELFs rebuild byte for byte (clang-14/lld-14);
#      tools/keccak/generate.sh --check: the generated keccak permutations are what the generators write;
#      tools/bindings/generate.js --check: the generated contract bindings are what forge's artifacts give;
#      dotnet format whitespace --verify-no-changes: the code follows .editorconfig
#   2. dotnet test (Release): unit, differential (fast VM vs reference stepper vs qemu), CLI, anvil integration
#   3. forge test: the Solidity step incl. replay of C#-exported witnesses (PROTOCOL §4.7); the dispute game incl.
#      whole games recorded by `opml-node dispute fixture` on mlp/tiny and llama/tiny, replayed on the contracts
set -uo pipefail
cd "$(dirname "$0")/../.."
bash deploy/scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0
log=$(mktemp -d)

echo "== guest reproducibility (guest/build.sh --check)"
if bash guest/build.sh --check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== generated code (tools/keccak/generate.sh --check)"
if bash tools/keccak/generate.sh --check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== generated bindings (tools/bindings/generate.js --check: the C# DTOs are what forge's artifacts give)"
(cd contracts && npx --no-install forge build >/dev/null 2>&1)
if node tools/bindings/generate.js --check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== formatting (dotnet format whitespace --verify-no-changes, .editorconfig)"
if dotnet format whitespace OpmlNode.sln --verify-no-changes; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== build"
if ! dotnet build OpmlNode.sln -c Release -nologo -v q; then echo "0 passed, 1 failed"; exit 1; fi

echo "== deployment checks (install.sh tree, systemd-analyze verify + security <= 3.0, promtool check/test rules)"
tree=$(mktemp -d)
if bash deploy/scripts/install.sh --root "$tree" --from OpmlNode/bin/Release/net10.0 >/dev/null && bash deploy/scripts/check-units.sh "$tree"; then
  passed=$((passed + 1)); else failed=$((failed + 1)); fi
rm -rf "$tree"
if promtool check rules deploy/prometheus/alerts.yml && promtool test rules deploy/prometheus/alerts.test.yml; then
  passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== witness fixture for the Solidity replay"
fixture=contracts/test/fixtures/witnesses.bin
mkdir -p contracts/test/fixtures
small=$(ls guest/bin/*.elf | grep -v matmul8)
if ! dotnet OpmlNode/bin/Release/net10.0/opml-node.dll vm witness $small --max-steps 1200 --random 40 --seed 1 --coverage --out "$fixture"; then
  failed=$((failed + 1))
fi

echo "== dispute game fixtures for forge (whole games played off chain on real engine data)"
games=contracts/test/fixtures/games
models=$(mktemp -d)
rm -f "$games"/*.json; mkdir -p "$games"
node="dotnet OpmlNode/bin/Release/net10.0/opml-node.dll"
(
  set -e
  $node model synth --arch mlp --preset tiny --seed 1 --out "$models/mlp-tiny.opml" >/dev/null
  $node model synth --arch llama --preset tiny --seed 1 --out "$models/llama-tiny.opml" >/dev/null
  mlp="--model $models/mlp-tiny.opml"; llama="--model $models/llama-tiny.opml --passes 2"
  $node dispute fixture $mlp --lie-slot all --k 4 --out "$games" >/dev/null
  $node dispute fixture $llama --lie-slot all --k 4 --out "$games" >/dev/null
  $node dispute fixture $mlp --challenge-correct all --k 4 --out "$games" >/dev/null
  $node dispute fixture $llama --challenge-correct all --k 16 --out "$games" >/dev/null
  for at in first middle last store trap; do
    $node dispute fixture $mlp --lie-step "2:$at" --k 4 --out "$games/mlp-tiny-step-$at.json" >/dev/null
    $node dispute fixture $llama --lie-step "100:$at" --k 4 --out "$games/llama-tiny-step-$at.json" >/dev/null
  done
  for at in first middle last trap; do
    $node dispute fixture $mlp --challenge-correct "2:$at" --k 4 --out "$games/mlp-tiny-cc-step-$at.json" >/dev/null
    $node dispute fixture $llama --challenge-correct "100:$at" --k 2 --out "$games/llama-tiny-cc-step-$at.json" >/dev/null
  done
  for k in 2 16 64; do
    $node dispute fixture $mlp --lie-slot 5 --k $k --out "$games/mlp-tiny-k$k.json" >/dev/null
    $node dispute fixture $llama --lie-slot 120 --k $k --out "$games/llama-tiny-k$k.json" >/dev/null
  done
); made=$?
if [ $made -eq 0 ]; then
  node -e 'const fs=require("fs");const d=process.argv[1];fs.writeFileSync(d+"/index.json",JSON.stringify({files:fs.readdirSync(d).filter(f=>f.endsWith(".json")&&f!=="index.json").sort()}))' "$games"
  echo "$(ls "$games"/*.json | wc -l) files"
else
  failed=$((failed + 1))
fi
rm -rf "$models"

echo "== forge test"
(cd contracts && npx --no-install forge build >/dev/null 2>&1)
OPML_WITNESSES_REQUIRED=true OPML_WITNESSES=test/fixtures/witnesses.bin OPML_GAMES_REQUIRED=true \
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

# The container tests last (they start dockerd and build images): each prints "passed", "FAILED: why" or "skipped: why".
for t in compose systemd; do
  echo "== $t test (deploy/scripts/$t-test.sh)"
  t0=$(date +%s)
  out=$(timeout 1500 bash deploy/scripts/$t-test.sh 2>&1); echo "$out" | tail -40
  echo "($t test: $(( $(date +%s) - t0 )) s)"
  case "$(echo "$out" | grep -E "^$t test: " | tail -1)" in
    "$t test: passed"*) passed=$((passed + 1)) ;;
    "$t test: skipped"*) ;;
    *) failed=$((failed + 1)) ;;
  esac
done

rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
