# Helpers shared by the setup parts and test suites.

# cargo_install_pinned NAME VERSION [cargo install args…]: installs a tool once, at that version.
cargo_install_pinned() {
  local name=$1 version=$2
  shift 2
  if cargo install --list 2>/dev/null | grep -q "^$name v$version:"; then
    return 0
  fi
  printf '\033[1m[setup]\033[0m cargo install %s@%s\n' "$name" "$version" >&2
  cargo install --locked --quiet "$name@$version" "$@"
}
