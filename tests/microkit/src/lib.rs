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
    announce_tagged(name, description, tail);
    conclude_tagged(name, result, tail);
}

fn announce_tagged(name: &str, description: &str, tail: &str) {
    sel4::debug_println!("Running suite {name}: 1 tests ({description}){tail}");
    sel4::debug_println!("Starting test 1: {name}{tail}");
}

fn conclude_tagged<E: Display>(name: &str, result: Result<(), E>, tail: &str) {
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

/// Asks the kernel directly (bypassing the library's check) to make a
/// protected call on channel `id`, through the slot where its endpoint cap
/// would be: on a channel without pp that slot is empty, and the kernel must
/// answer InvalidCapability.
pub fn kernel_refuses_pp_call(id: u8) -> Result<(), &'static str> {
    let ep = sel4::Cap::<sel4::cap_type::Endpoint>::from_bits(monitor_spec::abi::slot::PP_BASE + u64::from(id));
    let answer = ep.call(sel4::MessageInfo::new(0, 0, 0, 0));
    ensure(sel4::Error::from_word(answer.label()) == Some(sel4::Error::InvalidCapability), "the kernel did not refuse a call on the ungranted endpoint slot")
}

/// The same for acking IRQ channel `id` through its handler cap's slot.
pub fn kernel_refuses_irq_ack(id: u8) -> Result<(), &'static str> {
    let handler = sel4::Cap::<sel4::cap_type::IrqHandler>::from_bits(monitor_spec::abi::slot::IRQ_BASE + u64::from(id));
    ensure(handler.irq_handler_ack() == Err(sel4::Error::InvalidCapability), "the kernel did not refuse an ack on the ungranted IRQ slot")
}

/// Signals the notification in the slot where channel `id`'s cap would be,
/// bypassing the library's check. A Signal returns no error, so only the
/// peer can tell whether it arrived (see `pong`).
pub fn raw_notify(id: u8) {
    sel4::Cap::<sel4::cap_type::Notification>::from_bits(monitor_spec::abi::slot::NOTIFY_BASE + u64::from(id)).signal();
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
