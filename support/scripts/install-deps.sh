#!/bin/sh
# Installs what the build and tests need, only if missing, saying what it does:
# the Debian packages given, the Rust target the system is built for, and the
# nightly toolchain and cargo-fuzz that the fuzz targets need.
# Usage: install-deps.sh <debian packages...>
set -eu

missing=""
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    echo "[deps] installing Debian packages:$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi

if ! rustup target list --installed | grep -qx aarch64-unknown-none; then
    echo "[deps] adding Rust target aarch64-unknown-none"
    rustup target add aarch64-unknown-none
fi

if ! rustup run nightly cargo --version >/dev/null 2>&1; then
    echo "[deps] installing the Rust nightly toolchain (cargo fuzz needs it)"
    rustup toolchain install nightly --profile minimal
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "[deps] installing cargo-fuzz (from crates.io)"
    cargo install --locked cargo-fuzz --version 0.13.2
fi
