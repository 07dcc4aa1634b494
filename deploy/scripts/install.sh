#!/usr/bin/env bash
# Installs opml-node the way a service runs it (docs/OPERATIONS.md):
#   /opt/opml-node/            the self-contained publish (no .NET runtime needed on the host), the MNIST model, the
#                              contracts' forge artifacts (for `opml-node deploy`), appsettings.json, docs/OPERATIONS.md
#   /usr/local/bin/opml-node   on the PATH (a symlink)
#   /etc/systemd/system/       opml-node.service and the per-role template opml-node@.service
#   /etc/opml-node/            node.env.example (copied to node.env when there is none); the key goes to
#                              /etc/opml-node/key (mode 0600, root's), handed to the service as a credential
# The service user and its state directory are systemd's: the units use DynamicUser= and StateDirectory=, so no user is
# added to /etc/passwd and /var/lib/opml-node is created (owned by the transient user) at the first start.
#
# usage: deploy/scripts/install.sh [--root DIR] [--from PUBLISHED_DIR] [--framework-dependent]
#   --root DIR        install under DIR instead of / (packaging, images, tests)
#   --from DIR        take an existing `dotnet publish` output instead of publishing now
#   --framework-dependent  publish without the runtime (needs dotnet on the host; 10x smaller)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=/ from= sc=(-r linux-x64 --self-contained)
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --framework-dependent) sc=(); shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
done
if [ "$root" = / ] && [ "$(id -u)" -ne 0 ]; then echo "install.sh: installing to / needs root (or give --root DIR)" >&2; exit 2; fi

opt="$root/opt/opml-node"
mkdir -p "$opt" "$root/usr/local/bin" "$root/etc/systemd/system" "$root/etc/opml-node"
if [ -z "$from" ]; then
  rev=$(git rev-parse HEAD 2>/dev/null || echo "")
  echo "publishing opml-node (${sc[*]:-framework-dependent}) to $opt"
  dotnet publish OpmlNode/OpmlNode.csproj -c Release "${sc[@]}" -p:SourceRevisionId="$rev" -o "$opt" -nologo -v q
else
  cp -a "$from"/. "$opt"/
fi
# The contracts' artifacts come from forge (a fresh clone has none yet).
if [ ! -f contracts/out/DisputeGame.sol/DisputeGame.json ]; then
  [ -x contracts/node_modules/.bin/forge ] || { echo "install.sh: contracts/out is not built and forge is missing (bash deploy/scripts/install-deps.sh)" >&2; exit 1; }
  echo "building the contracts (forge build)"
  (cd contracts && npx --no-install forge build >/dev/null)
fi
mkdir -p "$opt/models/mnist" "$opt/models/fashion-mnist" "$opt/docs" "$opt/contracts/out"
cp models/mnist/mnist.opml "$opt/models/mnist/"
cp models/fashion-mnist/fashion-mnist.opml "$opt/models/fashion-mnist/"
cp docs/OPERATIONS.md "$opt/docs/" 2>/dev/null || true
for c in RiscvStep ModelRegistry OpmlTasks DisputeGame; do
  src=$(ls contracts/out/*/"$c".json 2>/dev/null | head -1 || true)
  if [ -n "$src" ]; then mkdir -p "$opt/contracts/out/$(basename "$(dirname "$src")")"; cp "$src" "$opt/contracts/out/$(basename "$(dirname "$src")")/"; fi
done
cat > "$opt/appsettings.json" <<'JSON'
{
  "OpmlNode": { "Contracts": { "Directory": "/opt/opml-node/contracts" } },
  "Serilog": { "MinimumLevel": { "Default": "Information", "Override": { "Microsoft": "Warning", "System.Net.Http": "Warning" } } }
}
JSON
ln -sfn /opt/opml-node/opml-node "$root/usr/local/bin/opml-node"
install -m 0644 deploy/systemd/opml-node.service deploy/systemd/opml-node@.service "$root/etc/systemd/system/"
install -m 0644 deploy/systemd/node.env.example "$root/etc/opml-node/node.env.example"
[ -e "$root/etc/opml-node/node.env" ] || install -m 0600 deploy/systemd/node.env.example "$root/etc/opml-node/node.env"
echo "installed: $root/usr/local/bin/opml-node -> /opt/opml-node/opml-node; units in $root/etc/systemd/system; config in $root/etc/opml-node"
