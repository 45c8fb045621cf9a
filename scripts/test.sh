#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and runs every check and test suite.
# This is the README's test command and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Incremental artifacts only help repeated local builds; in a one-shot run they double target/.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test"
cargo test --workspace --locked
# Suites that are not cargo tests (front-end, schema fuzzing, UI end-to-end), one file each.
shopt -s nullglob
for suite in scripts/test.d/*.sh; do
  step "$suite"
  bash "$suite"
done
step "all tests passed"
