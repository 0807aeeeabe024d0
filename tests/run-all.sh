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
cargo test --release 2>&1 | tee "$logs/host.log"
host_status=$?
host_passed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed; .*/\1/p' "$logs/host.log" | awk '{s+=$1} END {print s+0}')
host_failed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) failed; .*/\1/p' "$logs/host.log" | awk '{s+=$1} END {print s+0}')
passed=$((passed + host_passed))
failed=$((failed + host_failed))
if [ "$host_status" -ne 0 ] && [ "$host_failed" -eq 0 ]; then
    fail host-build "cargo test exited with $host_status (see $logs/host.log)"
fi

# Boots IMAGE with the harness; sets $status and $log.
boot() {
    log="$logs/$1.log"
    "$HARNESS" --image "$BUILD_DIR/images/$1.elf" --log "$log" --timeout "$TIMEOUT" --ram "$QEMU_RAM_MB" >/dev/null 2>&1
    status=$?
}

# --- QEMU checks ---
echo "== QEMU checks"

# BOOT0001: the boot chain reaches the root task and its invocations work.
boot boot-check
if [ "$status" -ne 0 ]; then
    fail BOOT0001 "harness verdict: $(tail -n 1 "$log")"
else
    missing=""
    for line in "loader: jumping to seL4" "Booting all finished, dropped to user space" \
        "root-task: untyped RAM:" "root-task: retype: notification at slot" \
        "root-task: mint + signal: badge 0x42 received: ok" \
        "root-task: map frame at 0x10000000, write and read back: ok"; do
        grep -qF "$line" "$log" || missing="$missing '$line'"
    done
    if [ -z "$missing" ]; then pass BOOT0001; else fail BOOT0001 "missing from $log:$missing"; fi
fi

# BOOT0002: a root task fault is reported by the kernel and the harness fails the run.
boot fault-check
if [ "$status" -eq 0 ]; then
    fail BOOT0002 "the harness accepted a run whose root task faulted ($log)"
elif ! grep -q "vm fault on data at address 0xdead0000" "$log"; then
    fail BOOT0002 "the kernel's fault report is missing from $log"
elif ! grep -q "verdict: the kernel reported an unhandled fault" "$log"; then
    fail BOOT0002 "the harness failed the run for another reason: $(tail -n 1 "$log")"
else
    pass BOOT0002
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
