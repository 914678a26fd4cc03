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
  [etcd]=etcd-server
  [iperf3]=iperf3
  [dig]=bind9-dnsutils
  # Docker's own daemon, for the tests of cnm as its network and IPAM plugin
  # (test/docker/): dockerd, its containerd and runc, busybox for the image
  # the tests import (no registry needed), tini for `docker run --init`.
  [dockerd]=docker.io
  [containerd]=containerd
  [runc]=runc
  [busybox]=busybox-static
  [tini]=tini
)
missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needed[$cmd]}")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # etcd-server, iperf3, docker.io and containerd come with system services; the tests and benchmarks
  # start their own processes, and a system etcd would hold port 2379. Keep
  # every service from starting during the install (policy-rc.d, honoured by
  # invoke-rc.d and deb-systemd-invoke), unless the machine has its own policy.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# etcd-server's and docker.io's installs enable their services for the next
# boot (systemd units and SysV links): disable them, and stop them where
# systemd runs (an install on a machine without policy-rc.d may have started
# them). A system etcd would hold port 2379; a system dockerd would hold
# /var/run/docker.sock and /run/docker/plugins, and its containerd
# /run/containerd, which the tests' own dockerds must not share. docker.socket
# is a socket unit: left enabled, systemd would start dockerd on the first
# connection to /var/run/docker.sock. Without a running systemd,
# `systemctl disable` only edits the unit links, which is the point.
disable_service() {
  local unit=$1                       # "etcd" or "docker.socket": a name alone is a service
  [[ $unit == *.* ]] || unit="$unit.service"
  local name=${unit%.*}
  if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet "$unit" 2>/dev/null; then
    systemctl disable --quiet "$unit" 2>/dev/null || true
  fi
  if [ -d /run/systemd/system ] && systemctl is-active --quiet "$unit" 2>/dev/null; then
    systemctl stop "$unit" || true
  fi
  if [[ $unit == *.service ]] && [ -x "/etc/init.d/$name" ] && ls /etc/rc[2-5].d/S??"$name" >/dev/null 2>&1; then
    update-rc.d "$name" disable >/dev/null 2>&1 || true
  fi
}
disable_service etcd
# The socket first: stopping docker.service while docker.socket listens would let a connection start it again.
disable_service docker.socket
disable_service docker
disable_service containerd

# memberlist's CRC layer uses zlib.crc32(), which Node has since 20.15.0 on the
# 20 line and 22.2.0 on the 22 line (not in 21 or 22.0-22.1): ask for the
# function itself rather than compare versions.
if ! node -e 'process.exit(typeof require("node:zlib").crc32 === "function" ? 0 : 1)'; then
  echo "cnm needs Node.js 20.15 or newer (22.2 or newer on the 22 line) for zlib.crc32; this machine has $(node --version)" >&2
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
