#!/usr/bin/env bash
# Installs everything agentrec needs to build, run and test, on Debian 12 / Ubuntu, as root.
# Idempotent: run it as often as you like; it only installs what is missing.
#
# Each part of the project declares its needs in scripts/setup.d/*.sh by appending to
# `apt_packages` and `post_steps` (functions run after the packages are in).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
post_steps=()
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=/dev/null
for part in scripts/setup.d/*.sh; do source "$part"; done

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
  log "cargo not found: install Rust stable with rustup (https://rustup.rs) and run this again"
  exit 1
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for step in "${post_steps[@]}"; do "$step"; done
log "ready"
