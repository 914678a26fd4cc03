#!/usr/bin/env bash
# Quick start, second command: set everything up and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
printf '\n==> running the test suite\n'
node scripts/run-tests.mjs "$@"
