#!/bin/sh
# Runs microkit-tool over the upstream compatibility fixtures in ../shared/compat
# (not part of the project's tests: a user's clone has no such folder).
# Valid examples must pass (the "images not found" note is fine); invalid files
# must fail, and each error is printed next to the rule EXPECTED_ERRORS.md names.
set -u
here=$(cd "$(dirname "$0")" && pwd)
compat=${COMPAT_DIR:-$here/../../../shared/compat}
cargo build -q --manifest-path "$here/Cargo.toml" || exit 2
tool=$here/target/debug/microkit-tool
[ -x "$tool" ] || tool=$here/../../target/debug/microkit-tool
fail=0
for f in "$compat"/microkit-sdf-examples/*.system; do
    if out=$("$tool" check "$f" --any-board --report /dev/null 2>&1); then
        echo "PASS (valid)   $(basename "$f")"
        echo "$out" | sed 's/^/    /'
    else
        echo "FAIL (valid)   $(basename "$f")"; echo "$out" | sed 's/^/    /'; fail=1
    fi
done
for f in "$compat"/microkit-sdf-invalid/*.system; do
    name=$(basename "$f")
    expected=$(grep -F "| $name |" "$compat/microkit-sdf-invalid/EXPECTED_ERRORS.md" | cut -d'|' -f3)
    out=$("$tool" check "$f" 2>&1); code=$?
    if [ "$code" -eq 1 ]; then echo "PASS (invalid) $name"; else echo "FAIL (invalid, exit $code) $name"; fail=1; fi
    echo "    expected:$expected"
    echo "$out" | grep '^error' | sed 's/^/    got:      /'
done
exit $fail
