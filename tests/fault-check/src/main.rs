//! A root task that faults on purpose: it writes to an address nothing maps.
//! The root task has no fault handler, so the kernel prints the fault; the
//! QEMU harness must report this run as failed even though the marker
//! printed afterwards would otherwise look like success.
#![no_std]
#![no_main]

use sel4::{debug_println, BootInfo};

sel4_root_task::root_task!(main);

/// Far from the root task's image, IPC buffer and bootinfo: unmapped.
pub const UNMAPPED: u64 = 0xdead_0000;

fn main(_bi: &'static BootInfo) -> ! {
    debug_println!("root-task: writing to unmapped address {UNMAPPED:#x}");
    // SAFETY: deliberately not safe: this write must fault.
    unsafe { (UNMAPPED as *mut u64).write_volatile(1) };
    // Not reached while the kernel works: the faulting thread never resumes.
    debug_println!("*** system ready ***");
    sel4_root_task::halt()
}
