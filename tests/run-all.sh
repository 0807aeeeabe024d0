#!/bin/sh
# Runs every test: host `cargo test` for the host crates, then the QEMU checks.
# Prints a line per QEMU check and ends with the total as `N passed, N failed`.
# Called by `make test`, which builds the images first and sets:
#   BUILD_DIR (per-config build dir), HARNESS (run-qemu), QEMU_RAM_MB, TIMEOUT
set -u
: "${BUILD_DIR:?}" "${HARNESS:?}" "${QEMU_RAM_MB:?}" "${TIMEOUT:?}"

logs="$BUILD_DIR/test-logs"
mkdir -p "$logs"
passed=0
failed=0

pass() { echo "Test $1 passed"; passed=$((passed + 1)); }
fail() { echo "Test $1 failed: $2"; failed=$((failed + 1)); }

# --- host tests ---
echo "== host tests (cargo test)"
SEL4_REQUIRE_KERNEL_TESTS=1 cargo test --release 2>&1 | tee "$logs/host.log"
host_status=$?
host_passed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed; .*/\1/p' "$logs/host.log" | awk '{s+=$1} END {print s+0}')
host_failed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) failed; .*/\1/p' "$logs/host.log" | awk '{s+=$1} END {print s+0}')
passed=$((passed + host_passed))
failed=$((failed + host_failed))
if [ "$host_status" -ne 0 ] && [ "$host_failed" -eq 0 ]; then
    fail host-build "cargo test exited with $host_status (see $logs/host.log)"
fi

# boot RUN IMAGE [QEMU ARG]...: boots IMAGE with the harness, logging to
# RUN.log; sets $status and $log.
boot() {
    log="$logs/$1.log"
    image="$BUILD_DIR/images/$2.elf"
    shift 2
    qemu_args=""
    for arg in "$@"; do qemu_args="$qemu_args --qemu-arg $arg"; done
    # shellcheck disable=SC2086 # qemu_args is a list of words
    "$HARNESS" --image "$image" --log "$log" --timeout "$TIMEOUT" --ram "$QEMU_RAM_MB" $qemu_args >/dev/null 2>&1
    status=$?
}

# --- QEMU checks ---
echo "== QEMU checks"

# BOOT0001: the boot chain reaches the root task and its invocations work.
boot BOOT0001 boot-check
if [ "$status" -ne 0 ]; then
    fail BOOT0001 "harness verdict: $(tail -n 1 "$log")"
else
    missing=""
    for line in "loader: jumping to seL4" "Booting all finished, dropped to user space" \
        "root-task: untyped RAM:" "root-task: retype: notification at slot" \
        "root-task: mint + signal: badge 0x42 received: ok" \
        "root-task: map frame at 0x10000000, write and read back: ok" \
        "root-task: heap: 1000-element Vec summed to 332833500: ok"; do
        grep -qF "$line" "$log" || missing="$missing '$line'"
    done
    if [ -z "$missing" ]; then pass BOOT0001; else fail BOOT0001 "missing from $log:$missing"; fi
fi

# Checks that a run of IMAGE fails for the reason the harness calls VERDICT
# and that the log shows EVIDENCE: the harness must notice failures too.
# Extra arguments go to QEMU.
expect_failure() {
    name=$1 image=$2 verdict=$3 evidence=$4
    shift 4
    boot "$name" "$image" "$@"
    if [ "$status" -eq 0 ]; then
        fail "$name" "the harness accepted a run that should fail ($log)"
    elif ! grep -qF "$evidence" "$log"; then
        fail "$name" "'$evidence' is missing from $log"
    elif ! grep -qF "verdict: $verdict" "$log"; then
        fail "$name" "the run failed for another reason: $(tail -n 1 "$log")"
    else
        pass "$name"
    fi
}

# BOOT0002: a root task fault is reported by the kernel and fails the run.
expect_failure BOOT0002 fault-check "the kernel reported an unhandled fault" \
    "vm fault on data at address 0xdead0000"
# BOOT0003: a root task panic is printed by the runtime and fails the run.
expect_failure BOOT0003 panic-check "a Rust component panicked" "deliberate panic with"
# BOOT0004: the loader refuses a truncated root task image and never starts the kernel.
expect_failure BOOT0004 truncated "the loader refused the image" "loader: error: root task ELF"
if grep -qF "Bootstrapping kernel" "$logs/BOOT0004.log"; then
    fail BOOT0004-no-jump "the loader started the kernel with a truncated image"
fi

# BOOT0005: entered at EL2 (QEMU with virtualization), the loader drops to EL1 and the system boots.
boot BOOT0005 boot-check -machine virtualization=on
if [ "$status" -eq 0 ] && grep -qF "loader: entered at EL2, dropped to EL1" "$log"; then
    pass BOOT0005
else
    fail BOOT0005 "no good boot from EL2: $(tail -n 1 "$log")"
fi
# BOOT0006: entered at EL3 (QEMU with secure=on), the loader says why it stops.
expect_failure BOOT0006 boot-check "the loader refused the image" "entered at EL3" -machine secure=on

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
