//! A root task that panics on purpose: the runtime's panic handler must print
//! the panic and stop the thread, and the QEMU harness must fail the run.
#![no_std]
#![no_main]

use sel4::{debug_println, BootInfo};

sel4_root_task::root_task!(main);

fn main(bi: &'static BootInfo) -> ! {
    debug_println!("root-task: about to panic");
    let slots = bi.empty.len();
    if slots > 0 {
        panic!("deliberate panic with {slots} empty slots");
    }
    // Not reached: the kernel always leaves empty slots.
    debug_println!("*** system ready ***");
    sel4_root_task::halt()
}
