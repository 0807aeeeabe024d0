//! What the runtime benchmark's PDs share: the layout of the `stamps`
//! region, the ring sizes (matching `system.xml`), and the console.
#![no_std]

use pl011::Pl011;
use sel4_microkit::{memory_region_symbol, MemoryRegion};

/// Word offsets in `stamps`, which the peers write and the client reads.
pub mod stamp {
    /// Instructions from reset to the first PD's `init` (the echo PD's).
    pub const FIRST_INIT: usize = 0;
    /// The cycle counter when the echo PD's `notified` began.
    pub const NOTIFIED_AT: usize = 8;
    /// Payloads the sink found different from what the client wrote.
    pub const BAD_PAYLOADS: usize = 16;
}
pub const STAMPS_SIZE: usize = 0x1000;

/// Bytes of one ring buffer: a 4 KiB payload.
pub const PAYLOAD: usize = 4096;
/// A private payload buffer, word-aligned so copies to and from the shared
/// data region move a word per access.
#[repr(C, align(8))]
pub struct Payload(pub [u8; PAYLOAD]);

/// Buffers in the data region, all offered by the sink.
pub const BUFFERS: usize = 32;
/// Descriptors the client sends per sample (one notification each batch).
pub const BATCH: usize = 16;
/// `Descriptor::flags` bit: the buffer holds a payload the sink must read.
pub const HAS_PAYLOAD: u32 = 1;

/// The `stamps` region, mapped with `setvar_vaddr="stamps_vaddr"`.
pub fn stamps() -> Option<MemoryRegion> {
    memory_region_symbol!(stamps_vaddr, STAMPS_SIZE).ok()
}

/// The PL011, mapped uncached with `setvar_vaddr="uart_vaddr"`: a release
/// kernel has no debug console, so PDs that report write to the UART.
pub fn console() -> Option<Pl011> {
    let region = memory_region_symbol!(uart_vaddr, 0x1000).ok()?;
    // SAFETY: system.xml maps the PL011's register page there for the PD's life.
    Some(unsafe { Pl011::at(region.base() as u64) })
}
