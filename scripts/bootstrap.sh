#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test the portal. Idempotent: every step checks first.
# Recipe and reasons: see CONTRIBUTING.md ("Toolchain"). Versions are pinned to what Cargo.lock needs.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' "$(dirname "$0")/../Cargo.lock" 2>/dev/null | sed -n 's/^version = "\(.*\)"/\1/p' || true)
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.130}
BINARYEN_VERSION=132.0.0
TOOLS_DIR=${ECM_TOOLS_DIR:-$HOME/.cache/ecm-tools}
mkdir -p "$TOOLS_DIR"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Installs a crate whose published lock file no longer resolves on this toolchain/registry:
# unpack its source (a failed `cargo install` leaves it in the registry cache), re-pin one
# dependency, then install from the patched copy with --locked.
install_patched_crate() {
  local crate=$1 version=$2 pkg=$3 precise=$4
  local src
  src=$(ls -d "$HOME"/.cargo/registry/src/*/"$crate-$version" 2>/dev/null | head -n1 || true)
  if [ -z "$src" ]; then
    cargo install "$crate" --version "=$version" --locked >/dev/null 2>&1 || true
    src=$(ls -d "$HOME"/.cargo/registry/src/*/"$crate-$version" 2>/dev/null | head -n1 || true)
  fi
  [ -n "$src" ] || { log "could not unpack $crate $version"; exit 1; }
  local work="$TOOLS_DIR/src/$crate-$version"
  rm -rf "$work"; mkdir -p "$(dirname "$work")"; cp -r "$src" "$work"
  (cd "$work" && cargo update -p "$pkg" --precise "$precise" >/dev/null 2>&1 && \
     CARGO_PROFILE_RELEASE_LTO=false cargo install --path . --locked --force)
}

# 1. Rust wasm target
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. cargo-leptos (its lock file pins cargo-util-schemas 0.14.2, which needs a newer rustc)
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes several minutes)"
  install_patched_crate cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-util-schemas 0.14.1
fi

# 3. wasm-bindgen CLI matching Cargo.lock (its lock file names a yanked webpki-roots)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  install_patched_crate wasm-bindgen-cli "$WASM_BINDGEN_VERSION" webpki-roots@1.0.11 1.0.10
fi

# 4. wasm-opt from npm binaryen (Debian's binaryen 108 silently breaks release wasm)
if [ ! -x "$TOOLS_DIR/binaryen/node_modules/.bin/wasm-opt" ]; then
  log "npm install binaryen@$BINARYEN_VERSION"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/binaryen" "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# 5. Debian packages: a browser for Playwright, xmllint for XSD checks, pdftoppm/pdftotext for
#    the receipt PDF tests (app/src/receipts/pdf.rs)
apt_install chromium libxml2-utils poppler-utils

log "tools ready"
