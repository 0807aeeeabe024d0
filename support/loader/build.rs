//! Embeds the kernel and root task ELF images into the loader and places the
//! loader near the top of RAM.
//!
//! Inputs (environment): LOADER_KERNEL_ELF, LOADER_ROOT_TASK_ELF (paths) and
//! SEL4_CONFIG (the kernel config file, for CONFIG_QEMU_VIRT_RAM_MB). The
//! Makefile sets all three.

use std::{env, fs, path::PathBuf, process::exit};

const RAM_BASE: u64 = 0x4000_0000;
/// Room reserved at the top of RAM for the loader, its payload, tables and stack.
const LOADER_WINDOW: u64 = 64 << 20;

fn required(name: &str) -> String {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).unwrap_or_else(|_| {
        eprintln!("error: {name} is not set; build the loader through the Makefile (`make qemu-arm-virt`)");
        exit(1)
    })
}

fn ram_mb(config: &str) -> u64 {
    let text = fs::read_to_string(config).unwrap_or_else(|e| {
        eprintln!("error: cannot read kernel config {config}: {e}");
        exit(1)
    });
    text.lines()
        .find_map(|l| l.trim().strip_prefix("CONFIG_QEMU_VIRT_RAM_MB="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            eprintln!("error: {config} has no numeric CONFIG_QEMU_VIRT_RAM_MB");
            exit(1)
        })
}

fn main() {
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return; // host build: library and unit tests only
    }
    let kernel = required("LOADER_KERNEL_ELF");
    let root_task = required("LOADER_ROOT_TASK_ELF");
    let config = required("SEL4_CONFIG");
    let mut payload = 0;
    for path in [&kernel, &root_task, &config] {
        println!("cargo:rerun-if-changed={path}");
        payload += fs::metadata(path)
            .unwrap_or_else(|e| {
                eprintln!("error: {path}: {e}");
                exit(1)
            })
            .len();
    }
    let mb = ram_mb(&config);
    let ram_end = RAM_BASE + (mb << 20);
    if payload + (4 << 20) > LOADER_WINDOW || mb << 20 < 2 * LOADER_WINDOW {
        eprintln!(
            "error: images ({payload} bytes) do not fit the loader's {} MiB window in {mb} MiB of RAM",
            LOADER_WINDOW >> 20
        );
        exit(1);
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let script = fs::read_to_string("link.ld").expect("link.ld is part of the crate");
    let base = format!("LOADER_BASE = {:#x};\n", ram_end - LOADER_WINDOW);
    fs::write(out.join("link.ld"), base + &script).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=link.ld");
    println!("cargo:rustc-link-arg-bins=-T{}", out.join("link.ld").display());
    println!("cargo:rustc-env=LOADER_KERNEL_ELF={kernel}");
    println!("cargo:rustc-env=LOADER_ROOT_TASK_ELF={root_task}");
    println!("cargo:rustc-env=LOADER_RAM_MB={mb}");
}
