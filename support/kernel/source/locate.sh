#!/bin/sh
# Prints the directory of the seL4 kernel source that cargo fetched for
# support/kernel/source/Cargo.toml (fetching it first if needed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cargo fetch --locked --manifest-path "$here/Cargo.toml" >&2
cargo metadata --locked --format-version 1 --manifest-path "$here/Cargo.toml" |
    python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
pkgs = [p for p in meta["packages"] if p["name"] == "sel4-sys" and p["version"] == "0.0.28"]
if not pkgs:
    sys.exit("locate.sh: sel4-sys 0.0.28 not in cargo metadata")
src = os.path.join(os.path.dirname(pkgs[0]["manifest_path"]), "seL4")
if not os.path.isfile(os.path.join(src, "VERSION")):
    sys.exit("locate.sh: no seL4 kernel source at " + src)
print(src)
'
