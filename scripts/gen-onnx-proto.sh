#!/usr/bin/env bash
# Regenerates engine/interop/onnx/onnxpb/onnx.pb.go from onnx.proto (our own
# minimal subset of the ONNX format). Needs protoc (Debian: protobuf-compiler)
# and protoc-gen-go v1.36.12, the version go.mod's google.golang.org/protobuf
# matches.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler" >&2; exit 1; }
gobin="$(go env GOPATH)/bin"
[ -x "$gobin/protoc-gen-go" ] || go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PATH="$gobin:$PATH" go generate ./engine/interop/onnx/onnxpb
