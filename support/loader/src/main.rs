//! The loader binary: QEMU starts it with `-kernel`; it puts seL4 and the
//! root task in RAM and jumps into the kernel. Everything it decides is in the
//! library (`sel4_loader::{elf, plan}`); this file only touches hardware.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod boot;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the loader runs on bare metal: build it with `--target aarch64-unknown-none` (see README)");
    std::process::exit(1);
}
