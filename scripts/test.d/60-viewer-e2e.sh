#!/usr/bin/env bash
# The supervisor viewer end to end, in headless Chromium (Debian's chromium driven by
# playwright-core) against a real agentrec-ingest holding recordings made here by the real
# capture pipeline and sent by the real uploader:
#   1. Xvfb split into four RandR monitors, each showing different changing content, and a
#      headless PulseAudio where espeak-ng plays the agent and the customer;
#   2. `agentrec-capture record` (24 s, a 5 s PCI pause in the middle, finalized with its
#      timeline plus the call's markers) for agent ann, and a short one-monitor recording for
#      agent bob; `agentrec-upload` enrolls each workstation and uploads its spool;
#   3. the server with its users (admin, supervisor sam, agents ann and bob) and the viewer
#      page; then `node --test ui/e2e/viewer.e2e.mjs` drives the browser.
# Screenshots and logs land in target/viewer-e2e/ (CI artifacts, not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out="$root/target/viewer-e2e"
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
pids=()
pulse_pid_file=""

step() { printf '\033[1m[viewer-e2e]\033[0m %s\n' "$*" >&2; }
cleanup() {
  local status=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$pulse_pid_file" ] && [ -f "$pulse_pid_file" ]; then kill "$(cat "$pulse_pid_file")" 2>/dev/null || true; fi
  if [ "$status" -ne 0 ]; then
    step "failed; logs:"
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
  fi
  cp "$work"/*.log "$out"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# A killed run (Ctrl+C, kill of a held fixture) still stops its servers and removes $work.
trap 'exit 130' INT
trap 'exit 143' TERM

step "building"
cargo build --quiet --locked -p agentrec-ingest -p agentrec-capture -p agentrec-uploader --bins
(cd ui && npm run --silent build >/dev/null)
bin="$root/target/debug"

# --- four monitors with distinct, changing content ---------------------------------------
display=""
for n in $(seq 90 140); do
  if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || { echo "no free X display" >&2; exit 1; }
Xvfb "$display" -screen 0 7680x1080x24 -noreset -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
export DISPLAY="$display"
xrandr --setmonitor '*MON0' 1920/508x1080/286+0+0 screen
for i in 1 2 3; do xrandr --setmonitor "MON$i" "1920/508x1080/286+$((i * 1920))+0" none; done
[ "$(xrandr --listmonitors | head -1)" = "Monitors: 4" ] || { xrandr --listmonitors >&2; exit 1; }
colours=(darkred darkgreen navy purple)
for i in 0 1 2 3; do
  xterm -geometry "236x64+$((i * 1920))+0" -fa Monospace -fs 9 -bg "${colours[$i]}" -fg white \
    -e sh -c "while :; do clear; echo; echo '   MONITOR $i  (${colours[$i]})'; echo; date '+   %T.%N'; ps -e | head -40; sleep 0.5; done" \
    >"$work/xterm$i.log" 2>&1 &
  pids+=($!)
done

# --- call audio --------------------------------------------------------------------------
export XDG_RUNTIME_DIR="$work/xdg"
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit=yes -n \
  --log-target="file:$work/pulse.log" \
  --load=module-native-protocol-unix \
  --load="module-null-sink sink_name=speaker rate=48000" \
  --load="module-null-sink sink_name=micsrc rate=48000" \
  --load="module-remap-source master=micsrc.monitor source_name=vmic"
pulse_pid_file="$XDG_RUNTIME_DIR/pulse/pid"
for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
pactl set-default-sink speaker
pactl set-default-source vmic
espeak-ng -w "$work/agent1.wav" "Thank you for calling Acme billing, this is Ann. How can I help you today?"
espeak-ng -w "$work/customer1.wav" -v en+f3 "Hello. I was charged twice for my last invoice and I would like a refund."
espeak-ng -w "$work/agent2.wav" "Thank you. The refund is on its way, it takes three to five days."
espeak-ng -w "$work/customer2.wav" -v en+f3 "Great, thank you very much. Goodbye."
espeak-ng -w "$work/bob.wav" "Hello, this is Bob from Acme sales, calling about your renewal."

# --- recordings from the real capture pipeline ----------------------------------------------
# ann: 24 s, all four monitors, paused 9–14 s (the agent types a card number: PCI).
cat >"$work/ann-call.json" <<'EOF'
{"kind": "voice", "direction": "inbound", "acd": true, "queue": "billing",
 "call_title": "Refund request", "customer_email": "carol@customer.example", "timezone": "Europe/Paris"}
EOF
# The call's markers that the app's Recorder adds from CTI events (this CLI sees none).
cat >"$work/ann-markers.json" <<'EOF'
[{"offset_ms": 0, "event": "answered"},
 {"offset_ms": 6500, "event": "held"}, {"offset_ms": 8000, "event": "unheld"},
 {"offset_ms": 20500, "event": "call_ended"}, {"offset_ms": 20500, "event": "wrap_up_started"}]
EOF
step "recording ann's call (24 s, 4 monitors, paused 9–14 s)"
capture=(record --fps 2 --max-size 960x540 --segment-seconds 6 --finalize)
"$bin/agentrec-capture" "${capture[@]}" --seconds 24 --pause-at 9 --pause-for 5 \
  --out "$work/ann-spool" --call-metadata "$work/ann-call.json" --timeline-extra "$work/ann-markers.json" \
  >"$work/capture-ann.log" 2>&1 &
capture_pid=$!
# The first stream on an idle null sink can take ~2 s to start: speech begins after that.
( sleep 2; paplay -d micsrc "$work/agent1.wav"
  paplay -d speaker "$work/customer1.wav"
  sleep 8; paplay -d micsrc "$work/agent2.wav"; paplay -d speaker "$work/customer2.wav" ) \
  >"$work/speech.log" 2>&1 &
speech_pid=$!
wait "$capture_pid"
wait "$speech_pid" || true
grep -E "paused at|resumed at|finalized" "$work/capture-ann.log" >&2

cat >"$work/bob-call.json" <<'EOF'
{"kind": "voice", "direction": "outbound", "acd": false, "queue": "sales",
 "call_title": "Renewal", "customer_email": "dave@other.example"}
EOF
step "recording bob's call (6 s, one monitor)"
"$bin/agentrec-capture" "${capture[@]}" --seconds 6 --monitors MON1 \
  --out "$work/bob-spool" --call-metadata "$work/bob-call.json" >"$work/capture-bob.log" 2>&1 &
capture_pid=$!
( sleep 2; paplay -d micsrc "$work/bob.wav" ) >/dev/null 2>&1 &
wait "$capture_pid"

# --- the server, its users, the uploads ----------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server="http://127.0.0.1:$port"
admin=$("$bin/agentrec-ingest" bootstrap --data-dir "$work/data" --email admin@acme.example --name "Ada Admin")
AGENTREC_LOG=warn "$bin/agentrec-ingest" serve --data-dir "$work/data" --listen "127.0.0.1:$port" \
  --public-url "$server" --viewer-dir "$root/ui/dist" >"$work/ingest.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS "$server/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
api() { # method path [json]
  curl -fsS -X "$1" "$server/api/v2$2" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' ${3:+-d "$3"}
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
team=$(api POST /admin/teams '{"name": "Support"}' | json "['id']")
user() { # email name role -> id
  api POST /admin/users "{\"email\": \"$1\", \"name\": \"$2\", \"role\": \"$3\", \"team_id\": \"$team\"}" | json "['id']"
}
token() { api POST "/admin/users/$1/tokens" '{"label": "viewer-e2e"}' | json "['token']"; }
sam=$(user sam@acme.example "Sam Supervisor" supervisor)
api POST "/admin/teams/$team/supervisors" "{\"user_id\": \"$sam\"}" >/dev/null
ann=$(user ann@acme.example "Ann Agent" member)
bob=$(user bob@acme.example "Bob Agent" member)
upload() { # user spool
  local enrollment
  enrollment=$(api POST /admin/enrollment-tokens "{\"user_id\": \"$1\"}" | json "['token']")
  "$bin/agentrec-upload" --spool "$2" --server "$server" --enrollment-token "$enrollment" --once \
    >>"$work/upload.log" 2>&1
}
step "uploading both spools"
upload "$ann" "$work/ann-spool"
upload "$bob" "$work/bob-spool"

step "browser tests"
export VIEWER_E2E_SERVER="$server" VIEWER_E2E_OUT="$out"
export VIEWER_E2E_ADMIN="$admin" VIEWER_E2E_SUPERVISOR="$(token "$sam")"
export VIEWER_E2E_ANN="$(token "$ann")" VIEWER_E2E_BOB="$(token "$bob")"
if [ -n "${VIEWER_E2E_HOLD:-}" ]; then
  # Development: keep the fixture server up and print how to reach it.
  env | grep '^VIEWER_E2E_' >"$VIEWER_E2E_HOLD"
  step "holding: environment in $VIEWER_E2E_HOLD; kill $$ to stop"
  while :; do sleep 5; done
fi
node --test --test-concurrency=1 ui/e2e/viewer.e2e.mjs 2>&1 | tee "$work/node-test.log"
test "${PIPESTATUS[0]}" -eq 0
step "screenshots in target/viewer-e2e/"
