#!/usr/bin/env bash
# Installs what is missing, builds Workbench and opens it with the bundled
# sample project (no downloads).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export PATH="$PATH:/usr/local/go/bin"
mkdir -p bin
go build -o bin/workbench ./cmd/workbench
exec ./bin/workbench "$@"
