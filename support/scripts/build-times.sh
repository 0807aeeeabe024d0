#!/bin/bash
# Measures the wall time of a clean `make qemu-arm-virt HEADLESS=1` (build the
# default system from nothing and boot it to ready) and of the same command
# after one PD's source changed. Writes them as JSON to OUT.
#
# "Clean" is a fresh checkout of HEAD in a temporary directory: no build/, no
# target/, so the kernel, every crate and the images are built from scratch.
# Shared with this machine: installed Debian packages and Rust toolchain, and
# cargo's download cache (~/.cargo/registry). Uncommitted changes are not in it.
#
# usage: build-times.sh OUT.json
set -eu
out=$(realpath -m "$1")
repo=$(git rev-parse --show-toplevel)
tree=$(mktemp -d /tmp/exclaves-build-times.XXXXXX)
cleanup() { git -C "$repo" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"; }
trap cleanup EXIT

git -C "$repo" worktree add --quiet --detach "$tree" HEAD
seconds() {
    local start end
    start=$(date +%s%N)
    make -C "$tree" --no-print-directory qemu-arm-virt HEADLESS=1 >"$tree/build-times.log" 2>&1 ||
        { echo "build-times: '$*' failed; see the log:" >&2; tail -20 "$tree/build-times.log" >&2; exit 1; }
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.1f", ns / 1e9 }'
}
echo "build-times: clean build of $(git -C "$repo" rev-parse --short HEAD) in $tree"
clean=$(seconds clean)
echo "build-times: clean: ${clean} s; now after touching one PD's source"
touch "$tree/tests/microkit/src/bin/hello.rs"
incremental=$(seconds incremental)
echo "build-times: incremental: ${incremental} s"
printf '{"clean make qemu-arm-virt HEADLESS=1": %s, "make qemu-arm-virt HEADLESS=1 after editing one PD": %s}\n' \
    "$clean" "$incremental" >"$out"
