#!/usr/bin/env bash
# The app's front end: type check and vitest unit tests (ui/).
set -euo pipefail
cd "$(dirname "$0")/../../ui"
npm run --silent typecheck
npm test --silent
