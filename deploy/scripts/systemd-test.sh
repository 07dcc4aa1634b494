#!/usr/bin/env bash
# The systemd unit under a real systemd (PID 1 in a container; run by deploy/scripts/test.sh; prints
# "systemd test: passed|FAILED|skipped: why"). In the container: anvil, the contracts deployed and the model registered,
# then opml-node@node.service as installed by install.sh (Type=notify, DynamicUser, LoadCredential, the hardening):
# active only after READY; a task submitted and final; SIGKILL -> restarted by systemd and resumed from its database;
# systemctl stop -> a clean exit 0; a node whose main loop hangs -> killed by the watchdog and restarted.
set -uo pipefail # and so `grep -c >/dev/null`, never `grep -q`, after a pipe: -q exits at the first match, the writer dies of SIGPIPE, the pipeline fails
cd "$(dirname "$0")/../.."
. deploy/scripts/docker-env.sh
docker_ready || { echo "systemd test: $(docker_ready 2>&1 | tail -1)"; exit 0; }
started=$(date +%s)
name=opml-systemd-test
fail() { echo "systemd test: FAILED: $*"; docker exec $name journalctl --no-pager -n 60 -u 'opml-node@*' 2>&1 | tail -60; docker rm -f $name >/dev/null 2>&1; exit 1; }
if ! docker image inspect debian-systemd:bookworm >/dev/null 2>&1; then
  dir=$(mktemp -d)
  echo "debootstrap --variant=minbase --include=$RUNTIME_DEPS,systemd,systemd-sysv,dbus bookworm -> debian-systemd:bookworm"
  debootstrap --variant=minbase --include="$RUNTIME_DEPS,systemd,systemd-sysv,dbus" bookworm "$dir" >/tmp/debootstrap-systemd.log 2>&1 || fail "debootstrap: $(tail -2 /tmp/debootstrap-systemd.log)"
  tar -C "$dir" -c . | docker import - debian-systemd:bookworm >/dev/null; rm -rf "$dir"
fi
[ -d deploy/docker/rootfs/opt/opml-node ] || bash deploy/docker/build.sh --base debian-local:bookworm --tag opml-node:test >/dev/null || fail "install tree"
docker build -q -f deploy/docker/Dockerfile.systemd -t opml-node-systemd:test . >/dev/null || fail "image"
docker rm -f $name >/dev/null 2>&1
docker run -d --name $name --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock opml-node-systemd:test >/dev/null || fail "docker run"
x() { docker exec $name "$@"; }
for _ in $(seq 30); do x systemctl is-system-running 2>/dev/null | grep -cE 'running|degraded' >/dev/null && break; sleep 1; done
x systemd-analyze security opml-node@node.service --no-pager 2>/dev/null | tail -1

# The chain and the contracts (as root, outside the unit); the node's key and settings where the unit reads them.
x systemd-run --unit anvil /usr/local/bin/anvil --host 127.0.0.1 --block-time 1 --silent >/dev/null || fail "anvil"
sleep 2
key=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
x bash -c "echo 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 > /root/deployer.key && cd /root && \
  opml-node deploy --rpc http://127.0.0.1:8545 --key-file deployer.key --contracts /opt/opml-node/contracts --out /etc/opml-node/deployment.json --window 8 >/dev/null && \
  opml-node model register /opt/opml-node/models/mnist/mnist.opml --rpc http://127.0.0.1:8545 --key-file deployer.key --deployment /etc/opml-node/deployment.json >/dev/null" || fail "deploy"
# Docker gives this container no user namespaces of its own (`unshare -U` fails in it, works on the host), so the one
# directive it cannot honour, PrivateUsers=, is switched off by a drop-in; everything else runs as shipped.
x bash -c "mkdir -p /etc/systemd/system/opml-node@node.service.d && printf '[Service]\nPrivateUsers=no\n' > /etc/systemd/system/opml-node@node.service.d/container.conf && systemctl daemon-reload"
x bash -c "umask 077; echo $key > /etc/opml-node/node.key; sed -e 's/Submitter=false/Submitter=true/' /etc/opml-node/node.env.example > /etc/opml-node/node.env; chmod 0644 /etc/opml-node/deployment.json"
t0=$(date +%s)
x systemctl start opml-node@node.service || fail "start (READY not sent?)"
echo "active (READY) after $(( $(date +%s) - t0 )) s"
x bash -c "head -c 784 /opt/opml-node/models/mnist/mnist.opml > /root/in && cd /root && opml-node request --model 1 --input in --rpc http://127.0.0.1:8545 --key-file deployer.key --deployment /etc/opml-node/deployment.json --wait --timeout 180" >/dev/null || fail "the task did not finalize"
echo "a task submitted by the unit and final"

pid=$(x systemctl show -p MainPID --value opml-node@node.service)
x systemctl kill -s SIGKILL opml-node@node.service
for _ in $(seq 30); do
  [ "$(x systemctl show -p NRestarts --value opml-node@node.service)" -ge 1 ] && [ "$(x systemctl is-active opml-node@node.service)" = active ] && break; sleep 1
done
[ "$(x systemctl show -p NRestarts --value opml-node@node.service)" -ge 1 ] || fail "not restarted after SIGKILL"
[ "$(x systemctl is-active opml-node@node.service)" = active ] || fail "not active again after SIGKILL"
[ "$(x systemctl show -p MainPID --value opml-node@node.service)" != "$pid" ] || fail "same pid after SIGKILL"
x journalctl --no-pager -u opml-node@node.service -o cat | grep -F '"@mt":"Node {Address}' | tail -1 | grep -c '"Cursor":"[0-9]' >/dev/null || fail "the restarted node did not resume from its cursor"
echo "SIGKILL: restarted by systemd, resumed from its database"

x systemctl stop opml-node@node.service
[ "$(x systemctl show -p ExecMainStatus --value opml-node@node.service)" = 0 ] || fail "stop: exit status $(x systemctl show -p ExecMainStatus --value opml-node@node.service)"
[ "$(x systemctl show -p Result --value opml-node@node.service)" = success ] || fail "stop: result $(x systemctl show -p Result --value opml-node@node.service)"
echo "systemctl stop: clean exit 0"

# A hung main loop: the watchdog (shortened to 10 s by a drop-in) kills and restarts it.
x bash -c "mkdir -p /etc/systemd/system/opml-node@node.service.d && printf '[Service]\nWatchdogSec=10\n' > /etc/systemd/system/opml-node@node.service.d/watchdog.conf && \
  sed -i 's/^OPML_ARGS=.*/OPML_ARGS=--hang-after-ticks 30/' /etc/opml-node/node.env && systemctl daemon-reload"
x systemctl start opml-node@node.service || fail "start with a hanging loop"
before=$(x systemctl show -p NRestarts --value opml-node@node.service)
for _ in $(seq 120); do
  [ "$(x systemctl show -p NRestarts --value opml-node@node.service)" -gt "$before" ] && break; sleep 1
done
[ "$(x systemctl show -p NRestarts --value opml-node@node.service)" -gt "$before" ] || fail "the watchdog did not restart the hung node"
x journalctl --no-pager -u opml-node@node.service | grep -ci 'watchdog timeout' >/dev/null || fail "no watchdog timeout in the journal"
echo "hung loop: killed by the watchdog and restarted"
docker rm -f $name >/dev/null 2>&1
echo "systemd test: passed in $(( $(date +%s) - started )) s"
