#!/usr/bin/env bash
# Sets up the machine and runs agentrec's main job. See README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for mode in always_on pause_resume on_demand on_demand_uis; do
  cargo run --quiet -p agentrec-core --example simulate_call -- "$mode"
done

# The agent app, on this display or on a private Xvfb one when there is none. The app itself
# uses the Secret Service when the desktop has one; otherwise the kernel keyring, which needs a
# session keyring (keyctl session). Set AGENTREC_NO_APP=1 to stop after the demo.
[ -n "${AGENTREC_NO_APP:-}" ] && exit 0
cargo build --quiet --locked -p agentrec-app
app=(target/debug/agentrec-app --show-status)
data_dir=${AGENTREC_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/agentrec}
cat >&2 <<MSG

agentrec app starting (Ctrl+C to stop). Local API address and token: $data_dir/local-api.json
Try, in another shell (see README "Local API"):
  T=\$(python3 -c 'import json;print(json.load(open("$data_dir/local-api.json"))["token"])')
  curl -s -H "Authorization: Bearer \$T" -H 'Content-Type: application/json' \\
    -d '{"type":"answered","call_id":"c-1","acd":true}' http://127.0.0.1:47821/v1/call-events
MSG
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then exec keyctl session - "${app[@]}"; fi
  exec dbus-run-session -- keyctl session - "${app[@]}"
fi
echo "(no display: running on a private Xvfb display)" >&2
exec xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp" dbus-run-session -- keyctl session - "${app[@]}"
