#!/usr/bin/env bash
# Installs what cnm needs on a Debian machine, as root: the kernel tools from
# Debian's packages when they are missing, then the npm packages, the native
# addon and the compiled TypeScript (npm ci runs node-gyp and tsc).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "cnm manages network namespaces, links and nftables: run this as root" >&2
  exit 1
fi

# command -> Debian package that provides it
declare -A needed=(
  [ip]=iproute2
  [nft]=nftables
  [ping]=iputils-ping
  [make]=make
  [g++]=g++
  [python3]=python3
)
missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needed[$cmd]}")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "cnm needs Node.js 20 or newer; this machine has $(node --version)" >&2
  exit 1
fi

# The commands on the PATH, as the README promises (links into this checkout).
link_command() {
  local target="/usr/local/bin/$1"
  if [ ! -e "$target" ] || [ -L "$target" ]; then ln -sf "$PWD/bin/$1" "$target"; fi
}

if [ ! -f dist/.setup-stamp ] || [ package-lock.json -nt dist/.setup-stamp ] || [ ! -f build/Release/cnm_native.node ]; then
  step "installing npm packages, building the native addon and the TypeScript (npm ci)"
  npm ci --no-audit --no-fund
  touch dist/.setup-stamp
else
  step "npm packages already installed; compiling TypeScript"
  npx tsc -p .
fi
link_command cnm
link_command cnmd
link_command networkdb-node
