#!/usr/bin/env bash
# The compose stack end to end (run by deploy/scripts/test.sh; prints "compose test: passed|FAILED|skipped: why"):
# builds the image on an offline Debian base, brings up docker-compose.yml with the liar, requests a task, waits until
# the liar's submission is rejected and the honest result is final; then `down` and `up` again and checks that every
# node resumed from its volume without sending any transaction (nonces unchanged) while the chain came back from its
# state file. Then the verifier's database is deleted (it catches up from the chain and sends nothing), and the
# verifier of OPERATIONS.md §4 is started by its `docker run` line against the same chain.
set -uo pipefail # and so `grep -c >/dev/null`, never `grep -q`, after a pipe: -q exits at the first match, the writer dies of SIGPIPE, the pipeline fails
cd "$(dirname "$0")/../.."
. deploy/scripts/docker-env.sh
docker_ready || { echo "compose test: $(docker_ready 2>&1 | tail -1)"; exit 0; }
local_base debian-local:bookworm || { echo "compose test: FAILED (no base image)"; exit 1; }
started=$(date +%s)
project=opmltest
export OPML_RPC_PORT=${OPML_RPC_PORT:-18545} OPML_IMAGE=opml-node:test
rpc=http://127.0.0.1:$OPML_RPC_PORT
dc() { docker-compose -p $project --profile liar "$@"; }
fail() { echo "compose test: FAILED: $*"; dc logs --no-color --tail 40 2>&1 | tail -80; dc down -v >/dev/null 2>&1; exit 1; }

bash deploy/docker/build.sh --base debian-local:bookworm --tag $OPML_IMAGE || fail "image build"
# anvil's dev keys 0..3: deployer (also the requester), honest submitter, verifier, liar.
keys=(ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
      5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a 7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6)
mkdir -p deploy/compose/secrets
for i in 0 1 2 3; do n=(deployer submitter verifier liar); echo "0x${keys[$i]}" > deploy/compose/secrets/${n[$i]}.key; done
chown 10001 deploy/compose/secrets/*.key; chmod 0400 deploy/compose/secrets/*.key
addr() { case $1 in submitter) echo 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 ;; verifier) echo 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC ;; liar) echo 0x90F79bf6EB2c4f870365E785982E1f101E93b906 ;; esac; }
nonce() { curl -s -X POST -H 'content-type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getTransactionCount\",\"params\":[\"$(addr $1)\",\"latest\"]}" $rpc | sed -E 's/.*"result":"(0x[0-9a-f]+)".*/\1/'; }
status() { dc run --rm -T tools status --json 2>/dev/null; }

dc down -v >/dev/null 2>&1
dc up -d anvil deployer liar verifier >/dev/null 2>&1 || fail "up"
for _ in $(seq 90); do [ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' ${project}_deployer_1 2>/dev/null)" = "exited 0" ] && break; sleep 2; done
[ "$(docker inspect -f '{{.State.ExitCode}}' ${project}_deployer_1)" = 0 ] || fail "deployer"
dc run --rm -T --entrypoint /bin/bash tools -c 'head -c 784 /opt/opml-node/models/mnist/mnist.opml > /tmp/in && opml-node request --model 1 --input /tmp/in --rpc http://anvil:8545 --deployment /shared/deployment.json --key-file /run/secrets/deployer_key' \
  || fail "request"
wait_for() { local what=$1 expr=$2 t=${3:-240}; for _ in $(seq $((t / 3))); do s=$(status); echo "$s" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($expr) else 1)" 2>/dev/null && return 0; sleep 3; done; fail "timed out waiting for $what: $s"; }
wait_for "the liar's submission" "d['tasks'] and d['tasks'][0]['submitter'].lower()=='$(addr liar | tr A-F a-f)'"
dc up -d submitter >/dev/null 2>&1 || fail "up submitter"
wait_for "the liar rejected and the honest result final" "d['tasks'][0]['status']=='Finalized' and d['tasks'][0]['submitter'].lower()!='$(addr liar | tr A-F a-f)' and any(g['winner']=='Challenger' for g in d['games'])" 400
echo "liar caught after $(( $(date +%s) - started )) s"
sleep 6 # the withdrawals after the finalisation
before="$(nonce submitter) $(nonce verifier) $(nonce liar)"
dc down >/dev/null 2>&1 || fail "down"
dc up -d >/dev/null 2>&1 || fail "up again"
sleep 25
for n in submitter verifier liar; do
  dc logs --no-color $n 2>/dev/null | grep -c '"Cursor":"[1-9]' >/dev/null || fail "$n did not resume from its database (no cursor in its start line)"
done
after="$(nonce submitter) $(nonce verifier) $(nonce liar)"
[ "$before" = "$after" ] || fail "nonces changed after the restart: $before -> $after"
s=$(status); echo "$s" | grep -c Finalized >/dev/null || fail "the chain did not come back from its state file: $s"

# docs/OPERATIONS.md §7, "the database is lost": the verifier's volume deleted, the node started on an empty one reads
# the deployment's logs again from the start, catches up (ready) and sends nothing (its nonce is unchanged).
dc stop verifier >/dev/null 2>&1; dc rm -f verifier >/dev/null 2>&1
docker volume rm ${project}_verifier-data >/dev/null || fail "could not delete the verifier's volume"
dc up -d verifier >/dev/null 2>&1 || fail "up verifier on an empty volume"
for _ in $(seq 60); do docker exec ${project}_verifier_1 opml-node probe --port 9464 --ready >/dev/null 2>&1 && break; sleep 2; done
docker exec ${project}_verifier_1 opml-node probe --port 9464 --ready >/dev/null 2>&1 || fail "the verifier on an empty database did not catch up"
dc logs --no-color verifier 2>/dev/null | grep -c '"Cursor":"none"' >/dev/null || fail "the verifier did not start from an empty database"
sleep 5
[ "$(nonce verifier)" = "$(echo $after | cut -d' ' -f2)" ] || fail "the verifier sent transactions after losing its database: $(nonce verifier)"
echo "database lost: the verifier caught up from the chain and sent nothing"

# docs/OPERATIONS.md §4's single `docker run` of a verifier, as written there (CHAIN: the stack's anvil, on its
# network): healthy by its HEALTHCHECK, caught up, and `docker stop` (SIGTERM) exits 0.
tmp=$(mktemp -d); solo=${project}-solo-verifier
dc run --rm -T --entrypoint cat tools /shared/deployment.json > $tmp/deployment.json 2>/dev/null || fail "deployment file"
echo 0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a > $tmp/verifier.key
chown 10001 $tmp/verifier.key; chmod 0400 $tmp/verifier.key; chmod 0644 $tmp/deployment.json; chmod 0755 $tmp
docker rm -f $solo >/dev/null 2>&1; docker volume rm ${solo}-data >/dev/null 2>&1
docker run -d --name $solo --network ${project}_default -v ${solo}-data:/data -v $tmp/deployment.json:/etc/opml-node/deployment.json:ro \
  -v $tmp/verifier.key:/run/secrets/key:ro $OPML_IMAGE run --rpc http://anvil:8545 \
  --deployment /etc/opml-node/deployment.json --data /data/db --key-file /run/secrets/key --verifier \
  --model 1=/opt/opml-node/models/mnist/mnist.opml --metrics-port 9464 --metrics-host '*' >/dev/null || fail "docker run of the verifier"
solo_fail() { docker logs --tail 30 $solo 2>&1; docker rm -f $solo >/dev/null 2>&1; docker volume rm ${solo}-data >/dev/null 2>&1; rm -rf $tmp; fail "$*"; }
for _ in $(seq 60); do [ "$(docker inspect -f '{{.State.Health.Status}}' $solo 2>/dev/null)" = healthy ] && break; sleep 2; done
[ "$(docker inspect -f '{{.State.Health.Status}}' $solo)" = healthy ] || solo_fail "the docker-run verifier is not healthy: $(docker inspect -f '{{.State.Health.Status}} {{.State.Status}}' $solo)"
docker logs $solo 2>&1 | grep -c '"Roles":"verifier"' >/dev/null || solo_fail "the docker-run verifier did not start as a verifier"
docker exec $solo opml-node probe --port 9464 --ready >/dev/null || solo_fail "the docker-run verifier is not ready (caught up)"
docker stop -t 45 $solo >/dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' $solo)" = 0 ] || solo_fail "docker stop: exit code $(docker inspect -f '{{.State.ExitCode}}' $solo)"
echo "docker run verifier: healthy, ready, docker stop exit 0"
docker rm -f $solo >/dev/null 2>&1; docker volume rm ${solo}-data >/dev/null 2>&1; rm -rf $tmp

dc down -v >/dev/null 2>&1
echo "compose test: passed in $(( $(date +%s) - started )) s (nonces $before unchanged after down/up)"
