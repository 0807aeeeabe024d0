//! Links every conclave at the task layout its manager loads
//! (xnu_abi::layout), as XNU's user programs are.
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut script = String::new();
    xnu_abi::layout::linker_script(&mut script).expect("a String takes any text");
    std::fs::write(out.join("conclave.ld"), script).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-arg-bins=-T{}", out.join("conclave.ld").display());
    println!("cargo:rerun-if-changed=build.rs");
}
