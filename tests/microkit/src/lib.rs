//! Shared by the example PDs: the sel4test-style verdict lines the harness
//! reads (`Starting test`, `Test X passed|failed: why`, `N passed, N failed`).
#![no_std]

use core::fmt::Display;

/// Prints one test's verdict and the one-test summary that ends the run.
pub fn report<E: Display>(name: &str, description: &str, result: Result<(), E>) {
    sel4::debug_println!("Starting test {name}: {description}");
    match result {
        Ok(()) => {
            sel4::debug_println!("Test {name} passed");
            sel4::debug_println!("1 passed, 0 failed");
        }
        Err(why) => {
            sel4::debug_println!("Test {name} failed: {why}");
            sel4::debug_println!("0 passed, 1 failed");
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

/// Sizes shared by the ring example's two PDs (and its system.xml).
pub mod ring {
    pub const RING_SIZE: usize = 0x1000;
    pub const BUFFERS: usize = 32;
    pub const BUFFER_SIZE: usize = 128;
    pub const DESCRIPTORS: u64 = 10_000;
}
