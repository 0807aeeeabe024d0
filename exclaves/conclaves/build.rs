//! Links every conclave at the task layout its manager loads
//! (xnu_abi::layout), as XNU's user programs are: code, constants and data
//! each in the region of its permissions.
use std::path::PathBuf;

use xnu_abi::layout::{DATA, RODATA, TEXT};

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let script = format!(
        "ENTRY(_start)
PHDRS {{ text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); data PT_LOAD FLAGS(6); }}
SECTIONS {{
  . = {text:#x};
  .text : {{ *(.text._start) *(.text .text.*) }} :text
  . = {rodata:#x};
  .rodata : {{ *(.rodata .rodata.*) *(.eh_frame_hdr) *(.eh_frame) }} :rodata
  . = {data:#x};
  .data : {{ *(.data .data.*) *(.got .got.*) }} :data
  .bss (NOLOAD) : {{ *(.bss .bss.*) *(COMMON) }} :data
}}
",
        text = TEXT.base,
        rodata = RODATA.base,
        data = DATA.base,
    );
    std::fs::write(out.join("conclave.ld"), script).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-arg-bins=-T{}", out.join("conclave.ld").display());
    println!("cargo:rerun-if-changed=build.rs");
}
