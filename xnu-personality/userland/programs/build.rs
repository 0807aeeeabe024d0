//! Links every program at the task layout XNU loads (xnu_abi::layout):
//! code, constants and data each in the region of its permissions.
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut script = String::new();
    xnu_abi::layout::linker_script(&mut script).expect("a String takes any text");
    std::fs::write(out.join("user.ld"), script).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-arg-bins=-T{}", out.join("user.ld").display());
    println!("cargo:rerun-if-changed=build.rs");
}
