//! Polled output on QEMU virt's PL011 UART (0x09000000), identity-mapped
//! before and after the loader turns the MMU on.

use core::fmt::{self, Write};

const PL011_BASE: usize = 0x0900_0000;
const DR: usize = 0x00;
const FR: usize = 0x18;
const FR_TXFF: u32 = 1 << 5;
const FR_BUSY: u32 = 1 << 3;

fn reg(offset: usize) -> *mut u32 {
    (PL011_BASE + offset) as *mut u32
}

fn put_byte(byte: u8) {
    // SAFETY: the PL011 registers are always mapped at this address for the loader.
    unsafe {
        while reg(FR).read_volatile() & FR_TXFF != 0 {}
        reg(DR).write_volatile(u32::from(byte));
    }
}

/// Waits until the last byte has left the UART.
pub fn flush() {
    // SAFETY: as in `put_byte`.
    unsafe { while reg(FR).read_volatile() & FR_BUSY != 0 {} }
}

pub struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                put_byte(b'\r');
            }
            put_byte(byte);
        }
        Ok(())
    }
}

macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::boot::uart::writer(), $($arg)*);
    }};
}

pub fn writer() -> Uart {
    Uart
}
