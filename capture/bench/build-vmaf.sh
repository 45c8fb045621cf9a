#!/usr/bin/env bash
# Builds Netflix's `vmaf` command-line tool for capture-bench's --vmaf option.
#
# Debian 12's ffmpeg has no libvmaf filter and Debian ships no libvmaf; the crates.io package
# `libvmaf-sys` vendors the upstream VMAF source (BSD-2-Clause-Patent), so this fetches that
# package with cargo and builds its libvmaf/tools with meson + ninja. Nothing here is linked
# into agentrec: the bench runs the tool as a separate program.
#
# Usage: bash capture/bench/build-vmaf.sh [OUT_DIR]   → prints the path of the vmaf binary
set -euo pipefail
out="${1:-target/vmaf}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [ -x "$out/vmaf" ]; then echo "$out/vmaf"; exit 0; fi
for pkg in meson ninja-build nasm; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/fetch/src"
cat > "$scratch/fetch/Cargo.toml" <<'TOML'
[package]
name = "fetch-vmaf"
version = "0.0.0"
edition = "2021"
[dependencies]
libvmaf-sys = { version = "=0.4.4", default-features = false }
TOML
echo 'fn main() {}' > "$scratch/fetch/src/main.rs"
cargo fetch --manifest-path "$scratch/fetch/Cargo.toml" >&2
crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/libvmaf-sys-0.4.4.crate | head -1)"
tar xzf "$crate" -C "$scratch"
src="$scratch/libvmaf-sys-0.4.4/vmaf/libvmaf"
meson setup "$scratch/build" "$src" --buildtype release -Denable_tests=false -Denable_docs=false >&2
ninja -C "$scratch/build" tools/vmaf >&2
cp "$scratch/build/tools/vmaf" "$out/vmaf"
echo "$out/vmaf"
