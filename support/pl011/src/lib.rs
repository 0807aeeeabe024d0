//! Register access to QEMU virt's PL011 UART once it is mapped into the
//! caller's address space: by a root task from the device untyped at
//! `Pl011::PADDR`, or by a PD through a device region at that address.
#![no_std]

use core::fmt;

#[derive(Clone, Copy, Debug)]
pub struct Pl011 {
    base: usize,
}

impl Pl011 {
    /// Physical address of the UART's register page.
    pub const PADDR: u64 = 0x0900_0000;
    pub const DR: usize = 0x00;
    pub const FR: usize = 0x18;
    pub const IMSC: usize = 0x38;
    pub const MIS: usize = 0x40;
    pub const ICR: usize = 0x44;
    /// Transmit interrupt bit (IMSC, MIS, ICR).
    pub const TX_INTERRUPT: u32 = 1 << 5;
    const FR_TXFF: u32 = 1 << 5;

    /// # Safety
    /// `vaddr` must be where the UART's register page is mapped, for as long
    /// as the returned value is used.
    pub unsafe fn at(vaddr: u64) -> Self {
        Pl011 { base: vaddr as usize }
    }

    pub fn read(&self, offset: usize) -> u32 {
        // SAFETY: `at`'s caller guarantees the register page is mapped at `base`.
        unsafe { ((self.base + offset) as *const u32).read_volatile() }
    }

    pub fn write(&self, offset: usize, value: u32) {
        // SAFETY: as in `read`.
        unsafe { ((self.base + offset) as *mut u32).write_volatile(value) }
    }

    /// Sends one byte, waiting while the transmit FIFO is full.
    pub fn put(&self, byte: u8) {
        while self.read(Self::FR) & Self::FR_TXFF != 0 {}
        self.write(Self::DR, u32::from(byte));
    }
}

impl fmt::Write for Pl011 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
        Ok(())
    }
}
