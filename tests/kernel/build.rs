//! Keeps the `sel4_test_cases` section alive through linker GC (lld drops
//! sections only reachable through __start_/__stop_ symbols by default),
//! rebuilds when the test selection changes, and tells the tests which of our
//! kernel patches this kernel has: `cfg(patch_NAME)` for each
//! `CONFIG_PATCH_NAME=y` in the build's config (SEL4_CONFIG), so a test of a
//! backported fix asserts the fix on a kernel with it and the bug on one
//! without; and `cfg(user_counters)` on a kernel that lets EL0 read the
//! counters (CONFIG_QEMU_VIRT_USER_COUNTERS, benchmark builds).
use std::path::Path;

fn switches(config: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(config).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("CONFIG_PATCH_")?.strip_suffix("=y").map(|n| format!("patch_{}", n.to_lowercase())))
        .collect()
}

fn is_set(config: &Path, name: &str) -> bool {
    let text = std::fs::read_to_string(config).unwrap_or_default();
    text.lines().any(|l| l.trim() == format!("{name}=y"))
}

fn main() {
    println!("cargo:rustc-link-arg-bins=-znostart-stop-gc");
    println!("cargo:rerun-if-env-changed=SEL4_TEST_FILTER");
    println!("cargo:rerun-if-env-changed=SEL4_CONFIG");
    // Every switch there is (the debug config turns them all on).
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../support/kernel/config/debug.config");
    println!("cargo:rerun-if-changed={}", all.display());
    println!("cargo::rustc-check-cfg=cfg({}, user_counters)", switches(&all).join(", "));
    let Ok(config) = std::env::var("SEL4_CONFIG") else { return };
    println!("cargo:rerun-if-changed={config}");
    let config = Path::new(&config);
    for cfg in switches(config) {
        println!("cargo:rustc-cfg={cfg}");
    }
    if is_set(config, "CONFIG_QEMU_VIRT_USER_COUNTERS") {
        println!("cargo:rustc-cfg=user_counters");
    }
}
