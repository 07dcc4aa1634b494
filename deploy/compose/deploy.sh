#!/usr/bin/env bash
# The compose stack's one-shot deployer (runs in the opml-node image): deploys the contracts once (a deployment file
# already on the shared volume whose contracts still have code is kept: `up` again deploys nothing) and registers the
# MNIST model (an identical registration on chain is reused). Local-chain parameters: 20 s window, 60 s clocks.
set -euo pipefail
rpc=${OPML_RPC:-http://anvil:8545}
key=/run/secrets/deployer_key
out=/shared/deployment.json
if [ -f "$out" ] && opml-node status --rpc "$rpc" --deployment "$out" >/dev/null 2>&1; then
  echo "deployment $out is on chain; not deploying again"
else
  opml-node deploy --rpc "$rpc" --key-file "$key" --contracts /opt/opml-node/contracts --out "$out.tmp" \
    --window 20 --clock 60 --extension 10 --k 4
  mv "$out.tmp" "$out"
fi
opml-node model register /opt/opml-node/models/mnist/mnist.opml --rpc "$rpc" --key-file "$key" --deployment "$out"
