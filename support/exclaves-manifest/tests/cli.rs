//! The binary: exit status and messages of `check` and `build`.

use std::path::PathBuf;
use std::process::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/exclaves")
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_exclaves-manifest")).args(args).output().expect("the binary runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn check_accepts_good_and_refuses_bad_manifests() {
    let f = fixtures();
    let system = f.join("system.xml").display().to_string();
    let (code, err) = run(&["check", &f.join("full").display().to_string(), "--system", &system]);
    assert_eq!((code, err.as_str()), (0, ""));
    let bad = f.join("bad/outbound-rw");
    let (code, err) = run(&["check", &bad.display().to_string(), "--system", &system]);
    assert_eq!(code, 1);
    assert!(err.contains("calls it outbound") && err.trim_end().ends_with("outbound-rw/darwin.toml:8"), "{err}");
}

#[test]
fn build_writes_a_table_that_parses() {
    let f = fixtures();
    let out = std::env::temp_dir().join(format!("exclaves-table-{}.bin", std::process::id()));
    let args = ["build", &f.join("full").display().to_string(), "--system", &f.join("system.xml").display().to_string(), "--output", &out.display().to_string()];
    assert_eq!(run(&args), (0, String::new()));
    let blob = std::fs::read(&out).expect("the table was written");
    assert!(exclaves_table::Table::parse(&blob).is_ok());
    std::fs::remove_file(&out).expect("clean up");
}

#[test]
fn usage_and_an_invalid_system_are_refused() {
    assert_eq!(run(&["frobnicate"]).0, 2);
    assert_eq!(run(&["build", "manifests", "--system", "x.xml"]).0, 2, "build needs --output");
    let f = fixtures();
    let (code, err) = run(&["check", &f.join("full").display().to_string(), "--system", &f.join("bad/duplicate/darwin.toml").display().to_string()]);
    assert_eq!(code, 1, "a system that is not XML is refused: {err}");
    assert!(err.contains("error:"));
}
