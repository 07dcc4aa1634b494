#!/usr/bin/env bash
# Installs what the build, the tests and the demo need and is missing; safe to run again.
# Debian packages: clang-14 + lld-14 (guest builds), qemu-user (reference RISC-V emulator), python3 (ISA check).
# npm: forge, anvil and solc for contracts/ (pinned by contracts/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v clang-14 >/dev/null || missing+=(clang-14)
command -v ld.lld-14 >/dev/null || missing+=(lld-14)
command -v qemu-riscv32 >/dev/null || missing+=(qemu-user)
command -v python3 >/dev/null || missing+=(python3)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

if [ ! -x contracts/node_modules/.bin/forge ] || [ ! -x contracts/node_modules/.bin/anvil ]; then
  echo "installing contracts/ npm packages (forge, anvil, solc)"
  (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
fi
