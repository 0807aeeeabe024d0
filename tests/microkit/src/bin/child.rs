//! MK0006 (with `parent`): faults on the first run, notifies on the second.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use sel4_microkit::{debug_println, protection_domain, Channel, Handler};

const PARENT: Channel = Channel::new(0);
/// Survives a restart: the monitor does not reload a PD's memory.
static RUNS: AtomicU32 = AtomicU32::new(0);

protection_domain!(init);

struct ChildPd;
impl Handler for ChildPd {}

fn init() -> ChildPd {
    if RUNS.fetch_add(1, Ordering::Relaxed) == 0 {
        debug_println!("first run: crashing");
        // SAFETY: deliberately faults; the parent handles it.
        unsafe { core::ptr::write_volatile(0x10 as *mut u64, 1) };
    }
    debug_println!("restarted");
    if let Err(e) = PARENT.notify() {
        debug_println!("{e}");
    }
    ChildPd
}
