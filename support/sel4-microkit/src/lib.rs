//! Runtime for a protection domain built by the monitor from `system.xml`.
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use sel4_microkit::{protection_domain, Channel, ChannelSet, Handler};
//! protection_domain!(init);
//! fn init() -> Pd { Pd }
//! struct Pd;
//! impl Handler for Pd {
//!     fn notified(&mut self, channels: ChannelSet) { /* ... */ }
//! }
//! ```
//!
//! The PD starts at `_start` with the stack the monitor mapped; the IPC
//! buffer is at its fixed address (the kernel reports it in TPIDR_EL0).
#![no_std]

mod channel;
mod child;
mod event_loop;
mod memory;
mod message;
mod symbols;
mod trap;

pub use channel::{Channel, ChannelError, ChannelSet};
pub use child::Child;
pub use event_loop::{run, Handler};
pub use memory::{MemoryRegion, RegionError};
pub use message::{get_mr, set_mr, MessageError, MessageInfo, MAX_MESSAGE_WORDS};
pub use sel4;
pub use symbols::{pd_name, ChannelPeers, PeerTable};
pub use trap::{Trap, TrapResult, SPSR_CARRY};

core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "mov x29, #0",
    "mov x30, #0",
    "b {start}",
    start = sym rust_start,
);

extern "Rust" {
    /// Defined by `protection_domain!`.
    fn __sel4_microkit_main() -> !;
}

unsafe extern "C" fn rust_start() -> ! {
    // SAFETY: defined exactly once by `protection_domain!`.
    unsafe { __sel4_microkit_main() }
}

/// Names the PD's init function, `fn() -> impl Handler`: it runs once, then
/// the event loop delivers events to the handler it returned.
#[macro_export]
macro_rules! protection_domain {
    ($init:path) => {
        #[no_mangle]
        fn __sel4_microkit_main() -> ! {
            $crate::run($init())
        }
    };
}

/// Prints a line prefixed with the PD's name (debug kernels only).
#[macro_export]
macro_rules! debug_println {
    ($($arg:tt)*) => {
        $crate::sel4::debug_println!("{}: {}", $crate::pd_name(), format_args!($($arg)*))
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    sel4::debug_println!("{}: {info}", pd_name());
    // An undefined instruction: the monitor (or parent) reports the fault
    // with this PD's name, and the PD stays stopped.
    loop {
        // SAFETY: raises a user exception; nothing after it runs.
        unsafe { core::arch::asm!("udf #0") };
    }
}
