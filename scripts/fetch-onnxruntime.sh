#!/usr/bin/env bash
# Fetches onnxruntime-node (the independent ONNX runtime the export tests
# run our exported models in) into the ignored cache .cache/onnxruntime.
# Its install script, which downloads optional GPU libraries, is skipped:
# the CPU runtime ships inside the npm package. Does nothing when present.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/onnxruntime
version=1.30.0
pkg="$dir/node_modules/onnxruntime-node/package.json"
if [ -f "$pkg" ] && grep -q "\"version\": \"$version\"" "$pkg"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install nodejs and npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
mkdir -p "$dir"
npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error "onnxruntime-node@$version" >&2
