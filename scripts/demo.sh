#!/usr/bin/env bash
# Quick start, first command: set everything up and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
printf '\n==> running the demo\n'
node dist/examples/demo.js "$@"
