# The agent app (src-tauri/, ui/): Tauri's build dependencies, the WebDriver stack for its
# end-to-end tests (WebKitWebDriver + tauri-driver), a notification daemon, the kernel keyring
# tools and the D-Bus client that stands in for the desktop panel.
apt_packages+=(
  build-essential pkg-config file libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev libayatana-appindicator3-1 librsvg2-dev libxdo-dev
  xvfb xauth dbus-x11 at-spi2-core x11-utils xdotool
  webkit2gtk-driver dunst libnotify-bin keyutils python3 python3-dbus-next
)

# tauri-driver 2.x, pinned (it bridges WebDriver clients to WebKitWebDriver).
APP_TAURI_DRIVER_VERSION=2.1.0

app_setup() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    printf '\033[1m[setup]\033[0m Node.js 20+ and npm are needed for ui/ (the machine image ships them)\n' >&2
    return 1
  fi
  cargo_install_pinned tauri-driver "$APP_TAURI_DRIVER_VERSION"
  # The app embeds ui/dist at compile time, so the UI is built before any cargo build/clippy.
  (
    cd ui
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      printf '\033[1m[setup]\033[0m npm ci (ui/)\n' >&2
      npm ci --no-audit --no-fund --loglevel=error
    fi
    npm run --silent build >/dev/null
  )
}
post_steps+=(app_setup)
