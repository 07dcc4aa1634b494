#!/usr/bin/env bash
# The main job: the whole system brought up locally and a lying submitter caught.
#   anvil (local chain) -> the contracts deployed -> the MNIST model registered -> a lying submitter, an honest
#   submitter and a watchdog verifier as separate `opml-node run` processes (own keys, own RocksDB directories) ->
#   a task on a held-out digit -> the liar's result challenged, both bisection phases, the one-step proof on chain,
#   the liar's bond to the watchdog -> the honest result resubmitted and final. Narrated from the chain's events.
# Arguments are passed to `opml-node devnet` (e.g. --liar step | --liar challenger | --tasks 3 | --block-time 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/scripts/install-deps.sh
dotnet build OpmlNode/OpmlNode.csproj -c Release -nologo -v q
(cd contracts && npx --no-install forge build >/dev/null 2>&1)
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--liar slot)
exec dotnet OpmlNode/bin/Release/net10.0/opml-node.dll devnet "${args[@]}"
