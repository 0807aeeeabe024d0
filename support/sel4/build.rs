//! Generates the ABI part of the bindings (labels, object types, syscall
//! numbers, bitfields, typed invocation methods) from the kernel source the
//! build prepared (SEL4_SOURCE) and the kernel config (SEL4_CONFIG).

use std::{env, fs, path::PathBuf, process::exit};

fn var(name: &str) -> PathBuf {
    println!("cargo:rerun-if-env-changed={name}");
    match env::var(name) {
        Ok(v) => PathBuf::from(v),
        Err(_) => {
            eprintln!("error: {name} is not set (the Makefile and .cargo/config.toml set it)");
            exit(1)
        }
    }
}

fn main() {
    let source = var("SEL4_SOURCE");
    let config_path = var("SEL4_CONFIG");
    if !source.join("libsel4").is_dir() {
        eprintln!(
            "error: no seL4 kernel source at {} (run `make kernel` once to prepare it)",
            source.display()
        );
        exit(1);
    }
    let config = sel4_bindgen::Config::load(&config_path).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        exit(1)
    });
    let code = sel4_bindgen::generate(&source, &config).unwrap_or_else(|e| {
        eprintln!("error: generating seL4 bindings: {e}");
        exit(1)
    });
    // Debug-only syscalls exist only in debug kernels: gate their wrappers.
    println!("cargo::rustc-check-cfg=cfg(sel4_debug_build)");
    if config.is_set("CONFIG_DEBUG_BUILD") {
        println!("cargo:rustc-cfg=sel4_debug_build");
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("sel4_generated.rs"), code).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed={}", config_path.display());
    println!("cargo:rerun-if-changed={}", source.join("libsel4").display());
    println!("cargo:rerun-if-changed={}", source.join("include/api/syscall.xml").display());
}
