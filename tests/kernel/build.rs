//! Keeps the `sel4_test_cases` section alive through linker GC (lld drops
//! sections only reachable through __start_/__stop_ symbols by default),
//! rebuilds when the test selection changes, and tells the tests which of our
//! kernel patches this kernel has (`cfg(patch_NAME)`), so a test of a
//! backported fix can assert the fix on a kernel with it and the bug on one
//! without.
fn main() {
    println!("cargo:rustc-link-arg-bins=-znostart-stop-gc");
    println!("cargo:rerun-if-env-changed=SEL4_TEST_FILTER");
    println!("cargo:rerun-if-env-changed=SEL4_CONFIG");
    println!("cargo::rustc-check-cfg=cfg(patch_fastpath_asid_check)");
    let Ok(config) = std::env::var("SEL4_CONFIG") else { return };
    println!("cargo:rerun-if-changed={config}");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    if text.lines().any(|l| l.trim() == "CONFIG_PATCH_FASTPATH_ASID_CHECK=y") {
        println!("cargo:rustc-cfg=patch_fastpath_asid_check");
    }
}
