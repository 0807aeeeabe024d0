//! Shared by the example PDs: the sel4test-style verdict lines the harness
//! reads (`Running suite`, `Starting test`, `Test X passed|failed: why`, `N passed, N failed`).
#![no_std]

use core::fmt::Display;

/// Prints one test as a one-test suite: announcement, verdict, summary.
pub fn report<E: Display>(name: &str, description: &str, result: Result<(), E>) {
    report_tagged(name, description, result, "");
}

/// The same, with every line ending in `tail` (the attack judges' seal).
pub fn report_tagged<E: Display>(name: &str, description: &str, result: Result<(), E>, tail: &str) {
    sel4::debug_println!("Running suite {name}: 1 tests ({description}){tail}");
    sel4::debug_println!("Starting test 1: {name}{tail}");
    match result {
        Ok(()) => {
            sel4::debug_println!("Test {name} passed{tail}");
            sel4::debug_println!("1 passed, 0 failed{tail}");
        }
        Err(why) => {
            sel4::debug_println!("Test {name} failed: {why}{tail}");
            sel4::debug_println!("0 passed, 1 failed{tail}");
        }
    }
}

/// `Err(message)` unless `cond`.
pub fn ensure(cond: bool, message: &'static str) -> Result<(), &'static str> {
    if cond {
        Ok(())
    } else {
        Err(message)
    }
}

/// What the ring example's two PDs share: sizes (matching its system.xml)
/// and the three mapped regions.
pub mod ring {
    use core::ptr::NonNull;

    use sel4_microkit::{memory_region_symbol, MemoryRegion};
    use sel4_shared_ring_buffer::SharedRegion;

    pub const RING_SIZE: usize = 0x1000;
    pub const BUFFERS: usize = 32;
    pub const BUFFER_SIZE: usize = 128;
    pub const DESCRIPTORS: u64 = 10_000;

    /// The free ring, the used ring and the data region (`data_size` bytes)
    /// of this PD, mapped with `setvar_vaddr` `free_ring_vaddr`,
    /// `used_ring_vaddr` and `data_vaddr`.
    pub fn regions(data_size: usize) -> Result<(SharedRegion, SharedRegion, MemoryRegion), &'static str> {
        let free = memory_region_symbol!(free_ring_vaddr, RING_SIZE).map_err(|_| "free ring not mapped")?;
        let used = memory_region_symbol!(used_ring_vaddr, RING_SIZE).map_err(|_| "used ring not mapped")?;
        let data = memory_region_symbol!(data_vaddr, data_size).map_err(|_| "data not mapped")?;
        let shared = |r: MemoryRegion| {
            let base = NonNull::new(r.base()).ok_or("null region")?;
            // SAFETY: system.xml maps the region rw for the PD's whole life,
            // and each PD uses each ring region for exactly one ring end.
            unsafe { SharedRegion::new(base, r.size()) }.map_err(|_| "bad ring region")
        };
        Ok((shared(free)?, shared(used)?, data))
    }
}
