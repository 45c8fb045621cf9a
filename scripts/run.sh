#!/usr/bin/env bash
# Sets up the machine and runs agentrec's main job. See README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for mode in always_on pause_resume on_demand on_demand_uis; do
  cargo run --quiet -p agentrec-core --example simulate_call -- "$mode"
done
