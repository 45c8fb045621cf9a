#!/usr/bin/env bash
# Sets up the machine and runs agentrec's main job. See README.md.
#
# 1. The recording policy engine plays a scripted call under each of the four modes.
# 2. The ingest server starts on its embedded defaults (SQLite + media directory) on
#    127.0.0.1:${AGENTREC_PORT:-8080}, with an admin and an agent (agent@example.com).
# 3. The agent app starts enrolled against it (a managed config with a fresh enrollment token),
#    on this display or on a private Xvfb display when there is none.
# Everything is kept under ${AGENTREC_RUN_DIR:-./agentrec-data}. Ctrl+C stops both.
# AGENTREC_NO_APP=1 stops after the demo; AGENTREC_NO_SERVER=1 runs the app without a server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for mode in always_on pause_resume on_demand on_demand_uis; do
  cargo run --quiet -p agentrec-core --example simulate_call -- "$mode"
done
[ -n "${AGENTREC_NO_APP:-}" ] && exit 0

cargo build --quiet --locked -p agentrec-app -p agentrec-ingest
run_dir=$(realpath -m "${AGENTREC_RUN_DIR:-agentrec-data}")
port=${AGENTREC_PORT:-8080}
B=$PWD/target/debug/agentrec-ingest
server=http://127.0.0.1:$port
app=("$PWD/target/debug/agentrec-app" --show-status)
mkdir -p "$run_dir"

if [ -z "${AGENTREC_NO_SERVER:-}" ]; then
  # The first run bootstraps an admin; its API token is kept for the next runs.
  if [ ! -s "$run_dir/admin-token" ]; then
    "$B" bootstrap --email admin@example.com --data-dir "$run_dir/server" >"$run_dir/admin-token"
  fi
  admin=$(cat "$run_dir/admin-token")
  "$B" serve --listen "127.0.0.1:$port" --data-dir "$run_dir/server" 2>>"$run_dir/server.log" &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    curl -sf "$server/healthz" >/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$run_dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  api=(-sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json')
  # The agent (created once), then a new one-use enrollment token for this run: on a machine
  # without a Secret Service the app's credential lives only as long as its session keyring.
  curl "${api[@]}" -o /dev/null "$server/api/v2/admin/users" \
    -d '{"email":"agent@example.com","name":"Agent","role":"member"}' || true
  user_id=$(curl "${api[@]}" "$server/api/v2/admin/users" | python3 -c '
import json, sys
print(next(u["id"] for u in json.load(sys.stdin) if u["email"] == "agent@example.com"))')
  token=$(curl "${api[@]}" "$server/api/v2/admin/enrollment-tokens" -d "{\"user_id\":\"$user_id\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  cat >"$run_dir/agent.toml" <<TOML
# Written by scripts/run.sh: the managed config an installer would put in /etc/agentrec.
server_url = "$server"
enrollment_token = "$token"
autostart = false
TOML
  export AGENTREC_MANAGED_CONFIG=$run_dir/agent.toml
fi
export AGENTREC_DATA_DIR=${AGENTREC_DATA_DIR:-$run_dir/app}

cat >&2 <<MSG

agentrec: ingest server $server (data: $run_dir/server, log: $run_dir/server.log),
agent app enrolled as agent@example.com (data: $AGENTREC_DATA_DIR). Ctrl+C stops both.
Place a test call, in another shell (answered, ended, wrap-up completed, 10 s apart):
  $B simulate-call --server $server --token \$(cat $run_dir/admin-token) \\
    --agent agent@example.com --step-secs 10
then list the recordings (it appears a few seconds after the call's wrap-up):
  curl -s -H "Authorization: Bearer \$(cat $run_dir/admin-token)" $server/api/v2/recordings
The app's local API (address and token in $AGENTREC_DATA_DIR/local-api.json) takes the same
events and pause/resume: see README "Local API".
MSG
# A headless machine has no audio server either: without one the recording would be only
# partial (audio capture failed). A private PulseAudio with two null sinks stands in for the
# headset: what is played into `micsrc` is the agent's voice, into `speaker` the customer's.
start_private_audio() {
  local dir=$run_dir/pulse
  mkdir -p "$dir" && chmod 700 "$dir"
  export XDG_RUNTIME_DIR=$dir
  HOME=$dir pulseaudio --daemonize=no --exit-idle-time=-1 --disallow-exit=yes -n \
    --log-target="file:$dir/pulse.log" --load=module-native-protocol-unix \
    --load="module-null-sink sink_name=speaker rate=48000" \
    --load="module-null-sink sink_name=micsrc rate=48000" \
    --load="module-remap-source master=micsrc.monitor source_name=vmic" >/dev/null 2>&1 &
  pulse_pid=$!
  trap 'kill "${server_pid:-}" "$pulse_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  pactl set-default-sink speaker && pactl set-default-source vmic
  echo "(no audio server: a private PulseAudio; play a voice with:" \
    "XDG_RUNTIME_DIR=$dir paplay -d speaker some.wav)" >&2
}
run_app() {
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then keyctl session - "${app[@]}"; return; fi
    dbus-run-session -- keyctl session - "${app[@]}"
    return
  fi
  echo "(no display: running on a private Xvfb display)" >&2
  if ! pactl info >/dev/null 2>&1; then start_private_audio; fi
  xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp" dbus-run-session -- keyctl session - "${app[@]}"
}
# Not exec: the trap stops the server when the app ends.
run_app
