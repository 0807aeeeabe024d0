//! Keeps the `sel4_test_cases` section alive through linker GC (lld drops
//! sections only reachable through __start_/__stop_ symbols by default),
//! rebuilds when the test selection changes, and tells the tests which of our
//! kernel patches this kernel has: `cfg(patch_NAME)` for each
//! `CONFIG_PATCH_NAME=y` in the build's config (SEL4_CONFIG), so a test of a
//! backported fix asserts the fix on a kernel with it and the bug on one
//! without.
use std::path::Path;

fn switches(config: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(config).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("CONFIG_PATCH_")?.strip_suffix("=y").map(|n| format!("patch_{}", n.to_lowercase())))
        .collect()
}

fn main() {
    println!("cargo:rustc-link-arg-bins=-znostart-stop-gc");
    println!("cargo:rerun-if-env-changed=SEL4_TEST_FILTER");
    println!("cargo:rerun-if-env-changed=SEL4_CONFIG");
    // Every switch there is (the debug config turns them all on).
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../support/kernel/config/debug.config");
    println!("cargo:rerun-if-changed={}", all.display());
    println!("cargo::rustc-check-cfg=cfg({})", switches(&all).join(", "));
    let Ok(config) = std::env::var("SEL4_CONFIG") else { return };
    println!("cargo:rerun-if-changed={config}");
    for cfg in switches(Path::new(&config)) {
        println!("cargo:rustc-cfg={cfg}");
    }
}
