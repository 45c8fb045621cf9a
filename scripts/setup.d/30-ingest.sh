# The ingest server's tests: a throwaway PostgreSQL cluster (Debian's postgresql), a real
# S3-compatible server (s3s-fs, pinned: 0.17 needs a newer rustc), ffmpeg for AV1/Opus
# fixtures and decode checks, and schemathesis for fuzzing the served OpenAPI document.
apt_packages+=(postgresql ffmpeg)

SCHEMATHESIS_VERSION=3.39.16
# schemathesis 3.39 breaks with hypothesis ≥ 6.1xx ("'many' object has no attribute 'more'").
HYPOTHESIS_VERSION=6.112.5

ingest_tools() {
  # shellcheck source=scripts/lib.sh
  source scripts/lib.sh
  cargo_install_pinned s3s-fs 0.14.1 --features binary
  if ! python3 -m pip show schemathesis 2>/dev/null | grep -q "^Version: $SCHEMATHESIS_VERSION$" \
    || ! python3 -m pip show hypothesis 2>/dev/null | grep -q "^Version: $HYPOTHESIS_VERSION$"; then
    printf '\033[1m[setup]\033[0m pip install schemathesis==%s\n' "$SCHEMATHESIS_VERSION" >&2
    local pkgs=("schemathesis==$SCHEMATHESIS_VERSION" "hypothesis==$HYPOTHESIS_VERSION")
    python3 -m pip install --quiet --disable-pip-version-check "${pkgs[@]}" \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${pkgs[@]}"
  fi
}
post_steps+=(ingest_tools)
