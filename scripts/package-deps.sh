#!/usr/bin/env bash
# Installs what scripts/package.sh needs on Debian/Ubuntu (after
# scripts/deps.sh, which installs the build dependencies), if missing:
# dpkg-deb and ImageMagick for Linux, mingw-w64 and NSIS for the Windows
# cross-build, and the fyne CLI. With --check it also installs what
# scripts/package-check.sh runs: desktop-file-utils, Wine, Xvfb, xdotool, bc.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(dpkg-dev imagemagick gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 nsis)
if [ "${1:-}" = --check ]; then
	pkgs+=(desktop-file-utils shared-mime-info wine wine64 xvfb x11-utils xdotool bc)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "Installing: ${missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The fyne CLI (fyne package), pinned.
if [ ! -x "$(go env GOPATH)/bin/fyne" ]; then
	echo "Installing the fyne CLI (fyne.io/tools v1.7.4)" >&2
	go install fyne.io/tools/cmd/fyne@v1.7.4
fi
