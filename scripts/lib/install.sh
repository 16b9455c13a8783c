# shellcheck shell=bash
# Installs what Plainsight's scripts need, and only what is missing, so every script can call
# these on every run. Sourced by scripts/run-app and scripts/test; expects to run from the repo root.

export PATH="$HOME/.cargo/bin:$PATH"

# Building the desktop app (webview, GTK, libsoup).
APP_PACKAGES=(build-essential pkg-config libwebkit2gtk-4.1-dev)
# Driving the real window under a virtual X server.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus-daemon gnome-keyring)
TAURI_DRIVER_VERSION=2.1.0
# Licence, ban and source checks (deny.toml). 0.20.2 needs Rust 1.88; it installs in about three
# minutes on two cores (release build with fat LTO; the crate has no optional features to drop).
CARGO_DENY_VERSION=0.20.2

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

_apt_updated=0
ensure_apt_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get; install them by hand"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing system packages (${missing[*]}); run as root or install sudo"
    sudo=(sudo)
  fi
  log "Installing system packages: ${missing[*]}"
  if [ "$_apt_updated" -eq 0 ]; then
    "${sudo[@]}" apt-get update -qq
    _apt_updated=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_rust() {
  command -v cargo >/dev/null || die "Rust is not installed; install it from https://rustup.rs and run this again"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
wasm_bindgen_lock_version() {
  awk '/^name = "wasm-bindgen"$/ { found = 1; next } found && /^version = / { gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

ensure_wasm_bindgen() {
  local want have
  want="$(wasm_bindgen_lock_version)"
  [ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
  if [ "$have" != "$want" ]; then
    log "Installing wasm-bindgen-cli $want (found ${have:-none}); this takes a few minutes once"
    # Not --locked: its lock file pins a webpki-roots release that some registries lack.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_tauri_driver() {
  if ! cargo install --list | grep -qx "tauri-driver v$TAURI_DRIVER_VERSION:"; then
    log "Installing tauri-driver $TAURI_DRIVER_VERSION"
    cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked --force
  fi
}

ensure_cargo_deny() {
  if ! cargo install --list | grep -qx "cargo-deny v$CARGO_DENY_VERSION:"; then
    log "Installing cargo-deny $CARGO_DENY_VERSION; this takes about three minutes once"
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --force
  fi
}

# Everything needed to build and run the app.
ensure_app_prerequisites() {
  ensure_apt_packages "${APP_PACKAGES[@]}"
  ensure_rust
  ensure_wasm_bindgen
}

# Plus what the window test needs.
ensure_test_prerequisites() {
  ensure_app_prerequisites
  ensure_apt_packages "${TEST_PACKAGES[@]}"
  ensure_tauri_driver
  ensure_cargo_deny
}
