#!/usr/bin/env bash
# Installs what amstream needs to build and test on Debian 12: compilers and libraries
# from apt, Node.js (only when missing) and the pinned fauxqs emulator (npm ci in
# tests/servers). Idempotent and quiet: a second run with everything present changes
# nothing and takes a few seconds. Run as root or as a user with sudo.
set -euo pipefail

cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libcurl4-openssl-dev libssl-dev libsimdjson-dev libpq-dev libsqlite3-dev sqlite3
  libcli11-dev libfmt-dev libgtest-dev libgmock-dev zlib1g-dev
  postgresql clang libclang-rt-14-dev clang-format
)
NODE_MIN_MAJOR=18

log() { echo "install-deps: $*"; }
fail() {
  echo "install-deps: FAILED: $*" >&2
  exit 1
}

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || fail "not root and no sudo: run as root"
  SUDO=(sudo)
fi

# Runs a quiet command; on failure shows the tail of its output and stops.
run_quiet() {
  local what=$1
  shift
  local output
  output=$(mktemp)
  if ! "$@" >"$output" 2>&1; then
    tail -n 25 "$output" >&2
    rm -f "$output"
    fail "$what"
  fi
  rm -f "$output"
}

missing_apt_packages() {
  local package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      echo "$package"
    fi
  done
}

install_apt_packages() {
  local missing
  mapfile -t missing < <(missing_apt_packages "$@")
  if [[ ${#missing[@]} -eq 0 ]]; then
    return
  fi
  log "apt: installing ${missing[*]}"
  run_quiet "apt-get update" "${SUDO[@]}" apt-get update -q
  run_quiet "apt-get install ${missing[*]}" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

node_major() {
  node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'
}

install_apt_packages "${APT_PACKAGES[@]}"

# Node.js may come from elsewhere (NodeSource ships npm inside its nodejs package and
# conflicts with Debian's npm): only install Debian's when there is no node at all.
if ! command -v node >/dev/null; then
  install_apt_packages nodejs npm
fi
major=$(node_major)
[[ -n $major && $major -ge $NODE_MIN_MAJOR ]] ||
  fail "Node.js >= $NODE_MIN_MAJOR needed for fauxqs, found $(node --version 2>/dev/null || echo none)"
command -v npm >/dev/null || fail "npm not found next to node $(node --version)"

# npm ci reinstalls from scratch every time: skip it while the installed tree matches the
# lock file (npm records it in node_modules/.package-lock.json).
servers=tests/servers
if [[ -f $servers/node_modules/.package-lock.json &&
  $servers/node_modules/.package-lock.json -nt $servers/package-lock.json &&
  -f $servers/node_modules/fauxqs/package.json ]]; then
  :
else
  log "npm ci in $servers"
  (cd "$servers" && run_quiet "npm ci in $servers" npm ci --no-audit --no-fund --loglevel=error)
fi

log "ok (node $(node --version), $(cmake --version | head -n 1), $(clang-format --version | sed 's/.*version \([0-9.]*\).*/clang-format \1/'))"
