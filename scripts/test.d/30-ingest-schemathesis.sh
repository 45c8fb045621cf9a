#!/usr/bin/env bash
# Fuzzes the ingest server with schemathesis against the OpenAPI document it serves: no
# server error, and every response conforms to the document (status codes, content types,
# headers, schemas). Runs the real binary on the embedded default in a temporary data dir.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked -p agentrec-ingest
bin=target/debug/agentrec-ingest
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

token=$("$bin" bootstrap --data-dir "$data" --email admin@example.com)
AGENTREC_LOG=error "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" &
server_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null

# A recording to find, so that the recording endpoints are exercised beyond 404s.
curl -fsS "http://127.0.0.1:$port/api/v2/openapi.json" -o "$data/openapi.json"

# The event stream never ends by design, and posters are images schemathesis cannot make:
# both are covered by the integration tests.
python3 -m schemathesis.cli run "$data/openapi.json" \
  --base-url "http://127.0.0.1:$port/api/v2" \
  -H "Authorization: Bearer $token" \
  --experimental=openapi-3.1 \
  --checks all \
  --exclude-operation-id agentEvents \
  --exclude-operation-id agentUploadPoster \
  --hypothesis-max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
  --hypothesis-derandomize \
  --hypothesis-suppress-health-check all \
  --request-timeout 10000 \
  --no-color
