//! A task slot's program at boot: XNU stops every slot before it runs and
//! loads real programs over its regions. Should a slot ever run this, it
//! asks XNU with a trap number no table has, and XNU stops it.
#![no_std]
#![no_main]

core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "mov x16, #0",
    "mov x7, #0",
    "svc #0x80",
    "b _start",
);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
