#!/bin/bash
# The fuzz targets of tests/fuzz (cargo fuzz, nightly toolchain), one per
# decoder of untrusted bytes.
#
#   fuzz.sh list                  the targets
#   fuzz.sh smoke TARGET          a short run, seeded and repeatable (make test)
#   fuzz.sh run TARGET RUNS       RUNS inputs, seeded and repeatable
#   fuzz.sh long [SECONDS]        every target for SECONDS each (make fuzz; default 300)
#
# Each target keeps its corpus in build/fuzz/corpus/TARGET (seeded from the
# repository's system descriptions) and writes any crashing input to
# build/fuzz/artifacts/TARGET/, to be turned into a regression test.
set -eu
cd "$(dirname "$0")/../.."
TARGETS="tool_check tool_build spec_parse bootfs_parse tightbeam_decode table_parse storage_upcalls objstore_serve"
# Inputs per target in a smoke run: about five seconds each on one core.
smoke_runs() {
    case $1 in tool_check) echo 40000 ;; tool_build) echo 5000 ;; *) echo 200000 ;; esac
}
export CARGO_TARGET_DIR=$PWD/build/fuzz/target

run() {
    local target=$1
    shift
    local corpus=build/fuzz/corpus/$target artifacts=build/fuzz/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    local seeds=()
    [ "$target" = tool_check ] && seeds=(tests/systems tests/microkit/systems tests/runtime-bench)
    cargo +nightly fuzz run --fuzz-dir tests/fuzz -O "$target" "$corpus" "${seeds[@]}" -- \
        -timeout=10 -rss_limit_mb=4096 -max_len=65536 -artifact_prefix="$artifacts/" "$@"
}

case "${1:-}" in
    list) echo "$TARGETS" ;;
    smoke) run "$2" -runs="$(smoke_runs "$2")" -seed=1 ;;
    run) run "$2" -runs="$3" -seed=1 ;;
    long)
        for target in $TARGETS; do
            echo "[fuzz] $target for ${2:-300} s"
            run "$target" -max_total_time="${2:-300}"
        done
        ;;
    *) echo "usage: fuzz.sh list | smoke TARGET | run TARGET RUNS | long [SECONDS]" >&2; exit 2 ;;
esac
