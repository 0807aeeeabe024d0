//! MK0005: writes to a region mapped `perms="r"`; the write must fault and
//! the monitor must report it with this PD's name (checked from the log).
#![no_std]
#![no_main]

use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Handler};

protection_domain!(init);

struct Faulter;
impl Handler for Faulter {}

fn init() -> Faulter {
    match memory_region_symbol!(readonly_vaddr, 0x1000) {
        Ok(region) => {
            debug_println!("writing to the read-only region at {:#x}", region.base() as u64);
            let _ = region.write_u64(0, 1);
            debug_println!("the write did not fault");
        }
        Err(e) => debug_println!("{e}"),
    }
    Faulter
}
