#!/bin/bash
# Runs every test: host `cargo test`, the fuzz targets' short runs, the
# system-description checks, then the QEMU checks. Prints a line per check
# and ends with the total as `N passed, N failed`; exits non-zero if
# anything failed or could not run.
#
# Called by `make test`, which builds what the sections need and sets:
#   SECTIONS     which to run (default: all of host fuzz sdf qemu boot suites mk xnu attack mon)
#   BUILD_DIR    per-config build dir          RESULTS_DIR  JUnit XML
#   HARNESS      run-qemu                      QEMU_HOME    its --qemu-home
#   QEMU_RAM_MB, TIMEOUT                       SUITES       suite names
#   SUITE_KERNELS  more kernels to run the suites on, as label:build-dir (optional)
#   TOOL         microkit-tool                 LOG_SEAL     the attack systems' log seal
#   PD_DIR       the PD programs
#   XNU_KERNELS  more kernels to run the XNU suite on, as label:build-dir (optional)
set -u
set -o pipefail
SECTIONS=${SECTIONS:-host fuzz sdf qemu boot suites mk xnu attack mon}
: "${BUILD_DIR:?}"

logs="$BUILD_DIR/test-logs"
mkdir -p "$logs"
passed=0
failed=0

pass() { echo "Test $1 passed"; passed=$((passed + 1)); }
fail() { echo "Test $1 failed: $2"; failed=$((failed + 1)); }
section() { case " $SECTIONS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# --- host tests ---
if section host; then
    echo "== host tests (cargo test)"
    # --no-fail-fast: every test binary runs, so the counts are complete.
    SEL4_REQUIRE_KERNEL_TESTS=1 cargo test --release --no-fail-fast 2>&1 | tee "$logs/host.log"
    host_status=$?
    host_passed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed; .*/\1/p' "$logs/host.log" | awk '{s+=$1} END {print s+0}')
    host_failed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) failed; .*/\1/p' "$logs/host.log" | awk '{s+=$1} END {print s+0}')
    passed=$((passed + host_passed))
    failed=$((failed + host_failed))
    # A crate that does not compile, or a test binary that dies before its
    # `test result:` line, fails cargo without a failure count.
    if [ "$host_status" -ne 0 ] && [ "$host_failed" -eq 0 ]; then
        fail host-build "cargo test exited with $host_status (see $logs/host.log)"
    elif [ "$host_passed" -eq 0 ]; then
        fail host-build "cargo test ran no test (see $logs/host.log)"
    fi
fi

# --- fuzz targets: a short, seeded run each (make fuzz for long runs) ---
if section fuzz; then
    echo "== fuzz targets (short seeded runs; make fuzz runs them long)"
    for target in $(support/scripts/fuzz.sh list); do
        if support/scripts/fuzz.sh smoke "$target" >"$logs/fuzz-$target.log" 2>&1; then
            pass "FUZZ-$target"
        else
            fail "FUZZ-$target" "$(grep -m1 -E 'panicked|ERROR|error' "$logs/fuzz-$target.log" || tail -n 1 "$logs/fuzz-$target.log")"
        fi
    done
fi

# --- system descriptions (no QEMU) ---
if section sdf; then
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
    # SDF0003: a file that is not UTF-8 fails (exit 1) with the bad byte's offset and position.
    out=$("$TOOL" check tests/systems/not-utf8.xml 2>&1)
    if [ $? -eq 1 ] && printf '%s' "$out" | grep -qF "error: the file is not UTF-8 text: invalid byte 0xe9 at byte offset 150 at tests/systems/not-utf8.xml:3:37"; then
        pass SDF0003
    else
        fail SDF0003 "expected exit 1 and the not-UTF-8 error, got: $out"
    fi
    # SDF0004: the exclaves manifests agree with the default system.xml.
    : "${MANIFEST_TOOL:?}"
    out=$("$MANIFEST_TOOL" check manifests --system system.xml 2>&1)
    if [ $? -eq 0 ]; then
        pass SDF0004
    else
        fail SDF0004 "manifests/ and system.xml disagree: $out"
    fi
fi

# boot RUN IMAGE [HARNESS ARG]...: boots IMAGE with the harness, logging to
# RUN.log; sets $status and $log.
boot() {
    log="$logs/$1.log"
    image="$BUILD_DIR/images/$2.elf"
    shift 2
    "$HARNESS" --qemu-home "$QEMU_HOME" --image "$image" --log "$log" --timeout "$TIMEOUT" \
        --ram "$QEMU_RAM_MB" "$@" >/dev/null 2>&1
    status=$?
}

# Adds suite NAME's counts to the totals from its LOG, whose lines start with
# PREFIX: its closing summary, or without one (a crash or a hang) the
# per-test lines that made it out. The harness's exit STATUS fails
# suite-NAME too when no test failed (counts that do not add up).
count_suite() {
    local name=$1 log=$2 prefix=$3 status=$4 summary suite_passed suite_failed
    summary=$(sed -n "s/^$prefix\([0-9][0-9]* passed, [0-9][0-9]* failed\)\$/\1/p" "$log" | tail -n 1)
    if [ -n "$summary" ]; then
        suite_passed=${summary%% passed*}
        suite_failed=${summary#*passed, }
        suite_failed=${suite_failed% failed}
    else
        suite_passed=$(grep -cE "^${prefix}Test [^ ]+ passed\$" "$log")
        suite_failed=$(grep -cE "^${prefix}Test [^ ]+ failed: " "$log")
    fi
    passed=$((passed + suite_passed))
    failed=$((failed + suite_failed))
    if [ "$status" -ne 0 ] && [ "$suite_failed" -eq 0 ]; then
        fail "suite-$name" "$(tail -n 1 "$log")"
    fi
}

# Sets `args` to the harness options FILE's lines ask for: `expect:` text,
# whole lines that must (`expect-line:`) or must not (`forbid-line:`)
# appear, input to type (`send-after: MARKER => TEXT`) and the time between
# typed bytes (`type-interval: MS`). An XML comment's `-->` is not part of
# its last line.
spec_args() {
    args=()
    local line
    while IFS= read -r line; do
        [ -n "$line" ] && args+=(--expect "$line")
    done < <(sed -n 's/^ *expect: \(.*\)$/\1/p' "$1" | sed 's/ *-->$//')
    while IFS= read -r line; do
        [ -n "$line" ] && args+=(--expect-line "$line")
    done < <(sed -n 's/^ *expect-line: \(.*\)$/\1/p' "$1" | sed 's/ *-->$//')
    while IFS= read -r line; do
        [ -n "$line" ] && args+=(--forbid-line "$line")
    done < <(sed -n 's/^ *forbid-line: \(.*\)$/\1/p' "$1" | sed 's/ *-->$//')
    while IFS= read -r line; do
        [ -n "$line" ] && args+=(--send-after "${line%% => *}" "${line#* => }")
    done < <(sed -n 's/^ *send-after: \(.* => .*\)$/\1/p' "$1" | sed 's/ *-->$//')
    local interval
    interval=$(sed -n 's/^ *type-interval: \([0-9][0-9]*\)$/\1/p' "$1")
    [ -n "$interval" ] && args+=(--type-interval "$interval")
    return 0
}

# Sets `disk` to the harness option for FILE's `disk: NAME [fresh]` line:
# the image $BUILD_DIR/disks/NAME, first made anew as a copy of the blank
# one `make` builds when `fresh`, else as the last run left it (MK0019
# boots MK0018's disk again). Fails if the image is not there.
disk_args() {
    disk=()
    local spec name fresh file
    spec=$(sed -n 's/^ *disk: \(.*\)$/\1/p' "$1" | sed 's/ *-->$//')
    [ -z "$spec" ] && return 0
    read -r name fresh <<< "$spec"
    file="$BUILD_DIR/disks/$name"
    if [ "$fresh" = fresh ]; then
        cp "$BUILD_DIR/disks/blank.img" "$file" || return 1
    fi
    [ -f "$file" ] || return 1
    disk=(--disk "$file")
}

# The default system's drives: XNU's disk and the storage exclave's secure
# NV flash, per name in $drives_dir (emptied once per run). Sets `drives`
# to the harness options for FILE's `drives: NAME [from OTHER]` line: NAME's
# images, blank if new, first copied from OTHER's if `from`; a file without
# the line (or no file: a suite) gets a blank pair of its own, named after it. Then runs FILE's
# `before: COMMAND` lines (host shell, DISK and NV naming the images,
# DRIVES the directory): what a test does to the images between boots.
drives_dir="$BUILD_DIR/disks/runs"
rm -rf "$drives_dir" && mkdir -p "$drives_dir"
drive_args() {
    local spec name from other command
    spec=""
    [ -f "$1" ] && spec=$(sed -n 's/^ *drives: \(.*\)$/\1/p' "$1" | sed 's/ *-->$//')
    read -r name from other <<< "${spec:-$(basename "$1" .txt)}"
    if [ "$from" = from ]; then
        cp "$drives_dir/$other-disk.img" "$drives_dir/$name-disk.img" &&
            cp --sparse=always "$drives_dir/$other-nv.img" "$drives_dir/$name-nv.img" || return 1
    fi
    [ -f "$drives_dir/$name-disk.img" ] || truncate -s 2M "$drives_dir/$name-disk.img" || return 1
    [ -f "$drives_dir/$name-nv.img" ] || truncate -s 64M "$drives_dir/$name-nv.img" || return 1
    drives=(--disk "$drives_dir/$name-disk.img" --secure-nv "$drives_dir/$name-nv.img")
    while IFS= read -r command; do
        [ -n "$command" ] || continue
        DISK="$drives_dir/$name-disk.img" NV="$drives_dir/$name-nv.img" DRIVES="$drives_dir" \
            bash -c "$command" || return 1
    done < <([ -f "$1" ] && sed -n 's/^ *before: \(.*\)$/\1/p' "$1")
}

# Checks that a run of IMAGE fails for the reason the harness calls VERDICT
# and that the log shows EVIDENCE: the harness must notice failures too.
# Extra arguments go to the harness.
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

if section qemu || section boot || section suites || section mk || section xnu || section attack || section mon; then
    : "${HARNESS:?}" "${QEMU_HOME:?}" "${QEMU_RAM_MB:?}" "${TIMEOUT:?}" "${RESULTS_DIR:?}"
fi

# --- QEMU itself: no run may depend on a firmware file ---
if section qemu; then
    echo "== QEMU set-up"
    # QEMU0001: the only firmware directory the harness's QEMU searches is its empty one.
    dirs=$("$HARNESS" --qemu-home "$QEMU_HOME" --firmware-dirs 2>&1)
    present=""
    while IFS= read -r dir; do
        [ "$dir" = "$QEMU_HOME/firmware" ] && continue
        [ -e "$dir" ] && present="$present $dir"
    done <<< "$dirs"
    if [ -z "$present" ] && printf '%s\n' "$dirs" | grep -qxF "$QEMU_HOME/firmware"; then
        pass QEMU0001
    else
        fail QEMU0001 "QEMU still searches:$present (from: $dirs)"
    fi
    # QEMU0002: a device that needs an option ROM (the virtio NIC QEMU once added
    # by default) fails the run on this machine too, whatever it has installed.
    expect_failure QEMU0002 boot-check "output ended before" 'failed to find romfile "efi-virtio.rom"' \
        --qemu-arg -device --qemu-arg virtio-net-pci
fi

# --- boot checks ---
if section boot; then
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
    boot BOOT0005 boot-check --qemu-arg -machine --qemu-arg virtualization=on
    if [ "$status" -eq 0 ] && grep -qF "loader: entered at EL2, dropped to EL1" "$log"; then
        pass BOOT0005
    else
        fail BOOT0005 "no good boot from EL2: $(tail -n 1 "$log")"
    fi
    # BOOT0006: entered at EL3 (QEMU with secure=on), the loader says why it stops.
    expect_failure BOOT0006 boot-check "the loader refused the image" "entered at EL3" \
        --qemu-arg -machine --qemu-arg secure=on
fi

# --- sel4test-style suites: per-test lines, counts and JUnit XML ---
# Each suite runs on this config's kernel, then once on each of
# SUITE_KERNELS as `<suite>-<label>` (e.g. kernel-stock, kernel-bench): all
# must pass.
if section suites; then
    runs=""
    for suite in ${SUITES:?}; do
        runs="$runs $suite:$suite:$BUILD_DIR"
        for kernel in ${SUITE_KERNELS:-}; do
            runs="$runs $suite-${kernel%%:*}:$suite:${kernel#*:}"
        done
    done
    for run in $runs; do
        name=${run%%:*} rest=${run#*:}
        suite=${rest%%:*} dir=${rest#*:}
        echo "== suite $name"
        log="$logs/suite-$name.log"
        # Stream the per-test lines as they come; the full log is in $log.
        "$HARNESS" --qemu-home "$QEMU_HOME" --image "$dir/images/$suite-suite.elf" --log "$log" \
            --timeout "$TIMEOUT" --ram "$QEMU_RAM_MB" --junit "$RESULTS_DIR/$name.xml" --suite "$name" 2>&1 |
            grep --line-buffered -E '^(Starting test|Test |run-qemu: )'
        count_suite "$name" "$log" "" "${PIPESTATUS[0]}"
    done
fi

# --- MK: example systems built from system.xml by the tool and the monitor ---
# Each tests/microkit/systems/mkNNNN-*.xml boots as its own image. A system
# that checks itself prints its PDs' one-test suites; a system whose outcome
# only the monitor can see lists `expect:` lines in its comment, which must
# all appear before the monitor reports ready (and only the faults they name
# are allowed). The harness judges both.
if section mk; then
    echo "== MK example systems"
    for system in tests/microkit/systems/mk*.xml; do
        image=$(basename "$system" .xml)
        name=$(echo "${image%%-*}" | tr '[:lower:]' '[:upper:]')
        spec_args "$system"
        [ ${#args[@]} -eq 0 ] && args=(--junit "$RESULTS_DIR/$image.xml" --suite "$image")
        if ! disk_args "$system"; then
            fail "$name" "no disk image for it in $BUILD_DIR/disks (make builds blank.img)"
            continue
        fi
        boot "$name" "$image" "${args[@]}" "${disk[@]}"
        if [ "$status" -eq 0 ]; then
            pass "$name"
        else
            fail "$name" "$(grep -m1 "^Test $name failed" "$log" || tail -n 1 "$log")"
        fi
    done
    # MK0019-blank: on a disk MK0018 never wrote, MK0019 fails (it reads
    # the disk, not something the image carries).
    if cp "$BUILD_DIR/disks/blank.img" "$BUILD_DIR/disks/unwritten.img"; then
        expect_failure MK0019-blank mk0019-blk-persist "suite finished: 0 passed, 1 failed" \
            "Test MK0019 failed: sectors 1000-1007 do not hold the first boot's pattern" \
            --suite mk0019-blk-persist --disk "$BUILD_DIR/disks/unwritten.img"
    else
        fail MK0019-blank "cannot copy $BUILD_DIR/disks/blank.img"
    fi
fi

# --- XNU: the personality's suites and shell sessions, on the default system ---
# A suite is typed at the shell like any program; only lines the serial
# driver printed under XNU's name count for it (--origin). Each
# tests/shell/shellNNNN-*.txt is a session of its own boot.
if section xnu; then
    # On this config's kernel xnutest is typed once the monitor says the
    # system is ready (the prompt is up); on XNU_KERNELS (label:build-dir,
    # release kernels, whose monitor prints nothing) at the prompt itself.
    # Each suite is a user program: xnu is xnutest, excl (exclaves_ctl) is
    # exclavetest, buf (named buffers) is buftest, sensor is sensortest,
    # store (keys and storage) is storetest, concl (conclaves) concltest.
    runs=()
    for suite in xnu:xnutest excl:exclavetest buf:buftest sensor:sensortest store:storetest concl:concltest; do
        runs+=("${suite%%:*}:$BUILD_DIR:${suite#*:}:*** system ready ***")
        for kernel in ${XNU_KERNELS:-}; do
            runs+=("${suite%%:*}-${kernel%%:*}:${kernel#*:}:${suite#*:}:xnu\$ ")
        done
    done
    for run in "${runs[@]}"; do
        name=${run%%:*} rest=${run#*:}
        dir=${rest%%:*} rest=${rest#*:}
        program=${rest%%:*} marker=${rest#*:}
        echo "== suite $name ($program, typed at the default system's shell)"
        log="$logs/suite-$name.log"
        drive_args "suite-$name.txt"
        "$HARNESS" --qemu-home "$QEMU_HOME" --image "$dir/images/system.elf" --log "$log" "${drives[@]}" \
            --timeout "$TIMEOUT" --ram "$QEMU_RAM_MB" --junit "$RESULTS_DIR/$name.xml" --suite "$name" \
            --origin xnu --send-after "$marker" "$program\n" 2>&1 |
            grep --line-buffered -E '^xnu: (Starting test|Test )|^run-qemu: '
        count_suite "$name" "$log" "xnu: " "${PIPESTATUS[0]}"
    done
    # EXCL0021: a resource table with a byte flipped (its checksum then
    # fails) gives boot FAILED with the reason, and XNU runs on: the shell
    # comes up, and an exclaves call is refused with KERN_FAILURE.
    drive_args excl0021.txt
    boot EXCL0021 damaged-table "${drives[@]}" \
        --expect "xnu: exclaves: boot FAILED: the resource table is damaged: " \
        --expect-line "xnu: launchd: exclaves boot failed: kern_return 0x5" \
        --send-after '*** system ready ***' 'call echo\n' --expect-line "xnu: call: no service 'echo' here (kern_return 0x5)"
    if [ "$status" -eq 0 ]; then pass EXCL0021; else fail EXCL0021 "$(grep -m1 '^run-qemu: verdict' "$log" || tail -n 1 "$log") ($log)"; fi
    # SHELL and STORE sessions, in order: a STORE session may boot the
    # drives an earlier one wrote (`drives:`), changed on the host first
    # (`before:`).
    echo "== SHELL and STORE sessions"
    for session in tests/shell/shell*.txt tests/store/store*.txt; do
        file=$(basename "$session" .txt)
        name=$(echo "${file%%-*}" | tr '[:lower:]' '[:upper:]')
        spec_args "$session"
        if ! drive_args "$session"; then
            fail "$name" "its drives could not be made (drives:, before: in $session)"
            continue
        fi
        boot "$name" system "${args[@]}" "${drives[@]}"
        if [ "$status" -eq 0 ]; then
            pass "$name"
        else
            fail "$name" "$(grep -m1 '^run-qemu: verdict' "$log" || tail -n 1 "$log") ($log)"
        fi
    done
fi

# --- ATTACK: one hostile case each, judged by a PD other than the attacker ---
# Each tests/attack/systems/attackNNNN-*.xml boots with the sealed monitor.
# Only lines sealed with the build's log seal (the monitor's, the judges')
# can pass a case: its `expect:` lines, and the judge's one-test suite when
# the system has a judge (a `*-judge.elf` program).
if section attack; then
    echo "== ATTACK systems"
    : "${LOG_SEAL:?}" "${PD_DIR:?}"
    # ATTACK0000: the seal is in every judge's program and in no other PD's.
    leaked=""
    for elf in "$PD_DIR"/*.elf; do
        case $elf in
            *-judge.elf) grep -qaF "$LOG_SEAL" "$elf" || leaked="$leaked $(basename "$elf") (lacks it)" ;;
            *) ! grep -qaF "$LOG_SEAL" "$elf" || leaked="$leaked $(basename "$elf")" ;;
        esac
    done
    if [ -z "$leaked" ]; then pass ATTACK0000; else fail ATTACK0000 "the log seal is misplaced:$leaked"; fi
    for system in tests/attack/systems/attack*.xml; do
        image=$(basename "$system" .xml)
        name=$(echo "${image%%-*}" | tr '[:lower:]' '[:upper:]')
        args=(--seal "$LOG_SEAL")
        while IFS= read -r line; do
            [ -n "$line" ] && args+=(--expect "$line")
        done < <(sed -n 's/^ *expect: \(.*\)$/\1/p' "$system" | sed 's/ *-->$//')
        grep -q -- '-judge\.elf"' "$system" && args+=(--junit "$RESULTS_DIR/$image.xml" --suite "$image")
        boot "$name" "$image" "${args[@]}"
        if [ "$status" -eq 0 ]; then
            pass "$name"
        else
            fail "$name" "$(grep -m1 "^Test $name failed" "$log" || tail -n 1 "$log")"
        fi
    done
fi

# --- the monitor's refusals, and the harness's own failure checks ---
if section mon; then
    echo "== monitor refusals"
    # MON0001-3: the monitor refuses an image with no spec, a spec of another
    # version and a spec whose bytes changed, names the reason, and starts no PD.
    expect_failure MON0001 monitor "the monitor refused the system" \
        "monitor: error: no system spec in this image"
    expect_failure MON0002 spec-version "the monitor refused the system" \
        "monitor: error: system spec refused: spec version 99 is not the supported version 2"
    expect_failure MON0003 spec-checksum "the monitor refused the system" \
        "does not match its contents"
    for name in MON0002 MON0003; do
        if grep -qF "hello" "$logs/$name.log"; then
            fail "$name-no-start" "a PD ran although the monitor refused the spec"
        fi
    done

    # SUITE0001: the kernel suite's deliberately failing tests (an assertion and a
    # fault) are reported as failed, per test, in the log and in JUnit XML.
    xml="$logs/SUITE0001.xml"
    boot SUITE0001 kernel-must-fail --junit "$xml" --suite kernel-must-fail
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
