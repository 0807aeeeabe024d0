#!/bin/sh
# Installs the Debian packages and Rust target the build needs, only if missing.
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
