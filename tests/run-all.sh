#!/bin/bash
# Runs every test: host `cargo test` for the host crates, then the QEMU checks.
# Prints a line per QEMU check and ends with the total as `N passed, N failed`.
# Called by `make test`, which builds the images first and sets:
#   BUILD_DIR (per-config build dir), RESULTS_DIR (JUnit XML), HARNESS (run-qemu),
#   QEMU_RAM_MB, TIMEOUT, SUITES (suite names), ONLY_SUITES=1 to run just those,
#   TOOL (microkit-tool, for the system-description checks)
set -u
: "${BUILD_DIR:?}" "${RESULTS_DIR:?}" "${HARNESS:?}" "${QEMU_RAM_MB:?}" "${TIMEOUT:?}" "${SUITES:?}"

logs="$BUILD_DIR/test-logs"
mkdir -p "$logs"
passed=0
failed=0

pass() { echo "Test $1 passed"; passed=$((passed + 1)); }
fail() { echo "Test $1 failed: $2"; failed=$((failed + 1)); }

if [ "${ONLY_SUITES:-0}" != 1 ]; then
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

# --- system descriptions (no QEMU) ---
echo "== system description checks"
: "${TOOL:?}"
# SDF0001: a valid system passes `check-system` (exit 0), noting the images it lacks.
out=$("$TOOL" check tests/systems/two-pds.xml 2>&1)
if [ $? -eq 0 ] && printf '%s' "$out" | grep -q "program images not found"; then
    pass SDF0001
else
    fail SDF0001 "expected exit 0 and the missing-images note, got: $out"
fi
# SDF0002: an invalid system fails (exit 1) with file:line:column, element and rule.
out=$("$TOOL" check tests/systems/write-only-map.xml 2>&1)
if [ $? -eq 1 ] && printf '%s' "$out" | grep -qF "error: perms must not be 'w' (write-only mappings are not allowed) on element 'map' at tests/systems/write-only-map.xml:7:9"; then
    pass SDF0002
else
    fail SDF0002 "expected exit 1 and the write-only-map error, got: $out"
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
fi

# --- sel4test-style suites: per-test lines, counts and JUnit XML ---
for suite in $SUITES; do
    echo "== suite $suite"
    log="$logs/suite-$suite.log"
    # Stream the per-test lines as they come; the full log is in $log.
    "$HARNESS" --image "$BUILD_DIR/images/$suite-suite.elf" --log "$log" --timeout "$TIMEOUT" \
        --ram "$QEMU_RAM_MB" --junit "$RESULTS_DIR/$suite.xml" --suite "$suite" 2>&1 |
        grep --line-buffered -E '^(Starting test|Test |run-qemu: )'
    status=${PIPESTATUS[0]}
    # The suite's own closing line has the counts; without it (a crash or a
    # hang) count the per-test lines that made it out.
    summary=$(grep -xE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$summary" ]; then
        suite_passed=${summary%% passed*}
        suite_failed=${summary#*passed, }
        suite_failed=${suite_failed% failed}
    else
        suite_passed=$(grep -cE '^Test [^ ]+ passed$' "$log")
        suite_failed=$(grep -cE '^Test [^ ]+ failed: ' "$log")
    fi
    passed=$((passed + suite_passed))
    failed=$((failed + suite_failed))
    if [ "$status" -ne 0 ] && [ "$suite_failed" -eq 0 ]; then
        fail "suite-$suite" "$(tail -n 1 "$log")"
    fi
done

if [ "${ONLY_SUITES:-0}" != 1 ]; then
# --- MK: example systems built from system.xml by the tool and the monitor ---
# Each tests/microkit/systems/mkNNNN-*.xml boots as its own image. A system
# that checks itself ends with its PD's `1 passed, 0 failed`; a system whose
# outcome only the monitor can see lists `expect:` lines in its comment,
# which must all appear in the log before the monitor reports ready.
echo "== MK example systems"
for system in tests/microkit/systems/mk*.xml; do
    image=$(basename "$system" .xml)
    name=$(echo "${image%%-*}" | tr '[:lower:]' '[:upper:]')
    log="$logs/$image.log"
    "$HARNESS" --image "$BUILD_DIR/images/$image.elf" --log "$log" --timeout "$TIMEOUT" \
        --ram "$QEMU_RAM_MB" --junit "$RESULTS_DIR/$image.xml" --suite "$image" >/dev/null 2>&1
    status=$?
    expects=$(sed -n 's/^ *expect: \(.*\)$/\1/p' "$system" | sed 's/ *-->$//')
    if [ -n "$expects" ]; then
        missing=""
        while IFS= read -r line; do
            grep -qF "$line" "$log" || missing="$missing '$line'"
        done <<< "$expects"
        if [ "$status" -ne 0 ]; then
            fail "$name" "harness verdict: $(tail -n 1 "$log")"
        elif [ -n "$missing" ]; then
            fail "$name" "missing from $log:$missing"
        else
            pass "$name"
        fi
    elif [ "$status" -eq 0 ] && grep -qx "Test $name passed" "$log" && grep -qx "1 passed, 0 failed" "$log"; then
        pass "$name"
    else
        fail "$name" "$(grep -m1 "^Test $name failed" "$log" || tail -n 1 "$log")"
    fi
done

# MON0001-3: the monitor refuses an image with no spec, a spec of another
# version and a spec whose bytes changed, names the reason, and starts no PD.
expect_failure MON0001 monitor "the monitor refused the system" \
    "monitor: error: no system spec in this image"
expect_failure MON0002 spec-version "the monitor refused the system" \
    "monitor: error: system spec refused: spec version 99 is not the supported version 1"
expect_failure MON0003 spec-checksum "the monitor refused the system" \
    "does not match its contents"
for name in MON0002 MON0003; do
    if grep -qF "hello" "$logs/$name.log"; then
        fail "$name-no-start" "a PD ran although the monitor refused the spec"
    fi
done

# SUITE0001: the kernel suite's deliberately failing tests (an assertion and a
# fault) are reported as failed, per test, in the log and in JUnit XML.
log="$logs/SUITE0001.log"
xml="$logs/SUITE0001.xml"
"$HARNESS" --image "$BUILD_DIR/images/kernel-must-fail.elf" --log "$log" --timeout "$TIMEOUT" \
    --ram "$QEMU_RAM_MB" --junit "$xml" --suite kernel-must-fail >/dev/null 2>&1
status=$?
if [ "$status" -eq 0 ]; then
    fail SUITE0001 "the harness accepted a suite with failing tests ($log)"
elif ! grep -qx "0 passed, 2 failed" "$log"; then
    fail SUITE0001 "expected the summary '0 passed, 2 failed' in $log"
elif ! grep -q "Test FAIL0001 failed: deliberate failure" "$log" ||
    ! grep -q "Test FAIL0002 failed: a test thread faulted: vm fault" "$log"; then
    fail SUITE0001 "a failing test was not reported with its reason ($log)"
elif ! grep -q 'tests="2" failures="2"' "$xml"; then
    fail SUITE0001 "JUnit XML does not count the two failures ($xml)"
else
    pass SUITE0001
fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
