#!/usr/bin/env bash
# Builds the opml-node image: install.sh into deploy/docker/rootfs (self-contained publish, model, contract artifacts,
# anvil for the local stack), then `docker build -f deploy/Dockerfile`.
#   --base IMAGE   the base image (default: the official mcr.microsoft.com/dotnet/runtime-deps:10.0)
#   --tag TAG      the image tag (default opml-node:dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
base= tag=opml-node:dev
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
rootfs=deploy/docker/rootfs
rm -rf "$rootfs"
bash deploy/scripts/install.sh --root "$rootfs" >/dev/null
mkdir -p "$rootfs/opt/opml-node/tools"
anvil=$(ls contracts/node_modules/@foundry-rs/anvil-linux-*/bin/anvil 2>/dev/null | head -1 || true)
[ -n "$anvil" ] || { echo "build.sh: anvil is missing (bash deploy/scripts/install-deps.sh)" >&2; exit 1; }
cp "$anvil" "$rootfs/opt/opml-node/tools/anvil"
mkdir -p "$rootfs/opt/opml-node/deploy" && cp deploy/compose/deploy.sh "$rootfs/opt/opml-node/deploy/compose-deploy.sh"
docker build -q -f deploy/Dockerfile ${base:+--build-arg BASE="$base"} -t "$tag" . >/dev/null
echo "built $tag${base:+ on $base}"
