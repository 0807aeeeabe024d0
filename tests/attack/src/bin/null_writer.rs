//! ATTACK0003: writes to address 0x10 (nothing is mapped there): a VM fault,
//! which must reach its parent.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Handler};

protection_domain!(init);

struct Faulter;
impl Handler for Faulter {}

fn init() -> Faulter {
    // SAFETY: deliberately faults; the parent handles it.
    unsafe { core::ptr::write_volatile(0x10 as *mut u64, 1) };
    Faulter
}
