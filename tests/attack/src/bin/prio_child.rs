//! ATTACK0010: writes 1 to the flag region when it runs.
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, Handler};

protection_domain!(init);

struct ChildPd;
impl Handler for ChildPd {}

fn init() -> ChildPd {
    if let Ok(flag) = memory_region_symbol!(flag_vaddr, 0x1000) {
        let _ = flag.write_u64(0, 1);
    }
    ChildPd
}
