//! What a user program of the XNU personality links against: its entry
//! point, one wrapper per trap, and console printing. A program is
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! libsystem::entry!(main);
//! fn main(args: libsystem::Args) -> i32 { libsystem::println!("hi"); 0 }
//! ```
#![no_std]

pub mod args;
pub mod bsd;
pub mod exclaves;
pub mod mach;
pub mod print;
mod trap;

pub use args::Args;
pub use trap::{bsd_trap, fast_call, mach_trap, Errno};
pub use xnu_abi as abi;

extern "Rust" {
    /// Defined by `entry!`.
    fn __libsystem_main(args: Args) -> i32;
}

core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "mov x29, #0",
    "mov x30, #0",
    "b {start}",
    start = sym start,
);

/// XNU enters here with argc in x0, argv in x1 and the bootstrap port's
/// name in x2 (ABI.md).
unsafe extern "C" fn start(argc: usize, argv: *const *const u8, bootstrap: u32) -> ! {
    // SAFETY: XNU laid out `argc` pointers to NUL-terminated strings at
    // `argv`, in our stack, which nothing else writes.
    let args = unsafe { Args::from_raw(argc, argv, bootstrap) };
    // SAFETY: defined exactly once by `entry!`.
    let code = unsafe { __libsystem_main(args) };
    bsd::exit(code)
}

/// Names the program's `fn main(Args) -> i32`; its result is the exit status.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        fn __libsystem_main(args: $crate::Args) -> i32 {
            $main(args)
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    eprintln!("panic: {info}");
    bsd::exit(101)
}
