#!/usr/bin/env bash
# The real agent app under WebDriver: Xvfb display, private D-Bus session (tray host stand-in,
# dunst for notifications), a fresh kernel session keyring; one test per recording mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --locked -p agentrec-app
export NO_AT_BRIDGE=1 # no accessibility bus in the test session
exec xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp" \
  dbus-run-session -- keyctl session - \
  node --test --test-concurrency=1 src-tauri/tests/e2e/
