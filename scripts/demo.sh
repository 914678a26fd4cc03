#!/usr/bin/env bash
# Quick start, first command: set everything up, start a fresh cnmd on the
# embedded store (SQLite) in a scratch data root, run `cnm demo` against it,
# then stop the daemon and purge everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

work=$(mktemp -d /tmp/cnm-demo.XXXXXX)
socket="$work/cnm.sock"
log="$work/cnmd.log"
daemon=""

finish() {
  local rc=$?
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
    kill -TERM "$daemon" && wait "$daemon" 2>/dev/null || true
  fi
  node bin/cnmd --data-root "$work/data" --purge >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap finish EXIT INT TERM

printf '\n==> starting cnmd (data root %s, socket %s)\n' "$work/data" "$socket"
node bin/cnmd --data-root "$work/data" --socket "$socket" 2>"$log" &
daemon=$!
for _ in $(seq 1 100); do
  [ -S "$socket" ] && break
  kill -0 "$daemon" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
sed 's/^/    cnmd: /' "$log"

printf '\n==> cnm demo\n'
CNM_HOST="unix://$socket" node bin/cnm demo "$@"

printf '\n==> the docker CLI can drive cnmd too, when it is installed:\n'
if command -v docker >/dev/null 2>&1; then
  DOCKER_HOST="unix://$socket" docker network ls
else
  echo "    (docker not installed: DOCKER_HOST=unix://$socket docker network ls)"
fi
