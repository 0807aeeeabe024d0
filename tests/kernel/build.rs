//! Keeps the `sel4_test_cases` section alive through linker GC (lld drops
//! sections only reachable through __start_/__stop_ symbols by default) and
//! rebuilds when the test selection changes.
fn main() {
    println!("cargo:rustc-link-arg-bins=-znostart-stop-gc");
    println!("cargo:rerun-if-env-changed=SEL4_TEST_FILTER");
}
