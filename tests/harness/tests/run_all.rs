//! `tests/run-all.sh` must fail whenever `cargo test` fails, even when cargo
//! dies without a failure count (a crate that does not compile, a test binary
//! that crashes). Each case runs the script's host section with a stand-in
//! `cargo` first on PATH.

use std::path::PathBuf;
use std::process::Command;

/// Runs the host section with a `cargo` that prints `output` and exits with
/// `status`; returns the script's exit status and its last line.
fn run_host_section(case: &str, output: &str, status: i32) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("run-all-{}-{case}", std::process::id()));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, format!("#!/bin/sh\nprintf '%s' '{output}'\nexit {status}\n")).unwrap();
    Command::new("chmod").arg("+x").arg(&cargo).status().unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg(root.join("tests/run-all.sh"))
        .current_dir(&root)
        .env("PATH", path)
        .env("SECTIONS", "host")
        .env("BUILD_DIR", dir.join("build"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), stdout.lines().last().unwrap_or("").to_string())
}

const RESULTS: &str = "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n";

#[test]
fn passing_cargo_passes() {
    assert_eq!(run_host_section("pass", RESULTS, 0), (0, "3 passed, 0 failed".into()));
}

#[test]
fn cargo_dying_after_some_results_fails() {
    assert_eq!(run_host_section("died", RESULTS, 101), (1, "3 passed, 1 failed".into()));
}

#[test]
fn cargo_failing_to_build_fails() {
    assert_eq!(run_host_section("nobuild", "error[E0425]: cannot find value\n", 101), (1, "0 passed, 1 failed".into()));
}

#[test]
fn cargo_running_no_test_fails() {
    assert_eq!(run_host_section("none", "", 0), (1, "0 passed, 1 failed".into()));
}
