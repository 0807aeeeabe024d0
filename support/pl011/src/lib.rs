//! Register access to QEMU virt's PL011 UART once it is mapped into the
//! caller's address space: by a root task from the device untyped at
//! `Pl011::PADDR`, or by a PD through a device region at that address.
//!
//! Transmit: [`Pl011::put`] (waits while the FIFO is full) and
//! [`Pl011::try_put`]. Receive: [`Pl011::get`] takes one byte, with its
//! error flags, while the receive FIFO is not empty. Interrupts: the `*_INTERRUPT`
//! bits are the same in IMSC (mask), MIS (pending) and ICR (clear);
//! [`Pl011::enable_interrupts`], [`Pl011::pending`] and [`Pl011::clear`]
//! take a set of them.
#![no_std]

use core::fmt;

#[derive(Clone, Copy, Debug)]
pub struct Pl011 {
    base: usize,
}

impl Pl011 {
    /// Physical address of the UART's register page.
    pub const PADDR: u64 = 0x0900_0000;
    /// Data register: a write sends a byte; a read takes the oldest received
    /// byte (bits 7:0) with its error flags (bits 11:8).
    pub const DR: usize = 0x00;
    /// Flag register: FIFO states.
    pub const FR: usize = 0x18;
    /// Line control: bit 4 (FEN) turns the 16-byte FIFOs on; off, each
    /// direction holds one byte.
    pub const LCR_H: usize = 0x2c;
    /// Interrupt mask set/clear: a set bit enables that interrupt.
    pub const IMSC: usize = 0x38;
    /// Masked interrupt status: the enabled interrupts that are pending.
    pub const MIS: usize = 0x40;
    /// Interrupt clear: writing a bit clears that interrupt.
    pub const ICR: usize = 0x44;
    /// Receive interrupt: the receive FIFO reached its trigger level.
    pub const RX_INTERRUPT: u32 = 1 << 4;
    /// Transmit interrupt bit (IMSC, MIS, ICR).
    pub const TX_INTERRUPT: u32 = 1 << 5;
    /// Receive timeout: bytes wait in the receive FIFO below its trigger
    /// level and none arrived for 32 bit periods.
    pub const RX_TIMEOUT_INTERRUPT: u32 = 1 << 6;
    /// Overrun: a byte arrived while the receive FIFO was full and was lost.
    pub const OVERRUN_INTERRUPT: u32 = 1 << 10;
    /// Every interrupt above.
    pub const ALL_INTERRUPTS: u32 =
        Self::RX_INTERRUPT | Self::TX_INTERRUPT | Self::RX_TIMEOUT_INTERRUPT | Self::OVERRUN_INTERRUPT;
    const FR_RXFE: u32 = 1 << 4;
    const FR_TXFF: u32 = 1 << 5;
    const LCR_H_FEN: u32 = 1 << 4;
    const DR_DATA: u32 = 0xff;
    /// Framing, parity, break and overrun error bits of a received byte.
    const DR_ERRORS: u32 = 0xf << 8;
    const DR_OVERRUN: u32 = 1 << 11;

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
        while !self.try_put(byte) {}
    }

    /// Sends one byte if the transmit FIFO has room; false if it is full.
    pub fn try_put(&self, byte: u8) -> bool {
        if self.tx_full() {
            return false;
        }
        self.write(Self::DR, u32::from(byte));
        true
    }

    /// Whether the transmit FIFO is full (a write to DR would be lost).
    pub fn tx_full(&self) -> bool {
        self.read(Self::FR) & Self::FR_TXFF != 0
    }

    /// Whether the receive FIFO is empty.
    pub fn rx_empty(&self) -> bool {
        self.read(Self::FR) & Self::FR_RXFE != 0
    }

    /// Takes the oldest received byte, or `None` when the receive FIFO is empty.
    pub fn get(&self) -> Option<Received> {
        if self.rx_empty() {
            return None;
        }
        Some(Received::from_dr(self.read(Self::DR)))
    }

    /// Turns the 16-byte transmit and receive FIFOs on.
    pub fn enable_fifos(&self) {
        self.write(Self::LCR_H, self.read(Self::LCR_H) | Self::LCR_H_FEN);
    }

    /// Enables the interrupts in `bits` (the `*_INTERRUPT` constants), keeping the others.
    pub fn enable_interrupts(&self, bits: u32) {
        self.write(Self::IMSC, self.read(Self::IMSC) | bits);
    }

    /// Disables the interrupts in `bits`, keeping the others.
    pub fn disable_interrupts(&self, bits: u32) {
        self.write(Self::IMSC, self.read(Self::IMSC) & !bits);
    }

    /// The enabled interrupts that are pending (MIS).
    pub fn pending(&self) -> u32 {
        self.read(Self::MIS)
    }

    /// Clears the interrupts in `bits` (ICR).
    pub fn clear(&self, bits: u32) {
        self.write(Self::ICR, bits);
    }
}

/// One byte read from the receive FIFO, with the errors the UART saw on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The byte (meaningless if `error` is set, except on overrun).
    pub byte: u8,
    /// A framing, parity or break error: the byte was not received cleanly.
    pub error: bool,
    /// Bytes were lost before this one because the FIFO was full.
    pub overrun: bool,
}

impl Received {
    /// Splits a DR value into the byte and its flags.
    pub fn from_dr(dr: u32) -> Self {
        Received {
            byte: (dr & Pl011::DR_DATA) as u8,
            error: dr & (Pl011::DR_ERRORS & !Pl011::DR_OVERRUN) != 0,
            overrun: dr & Pl011::DR_OVERRUN != 0,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_received_word_splits_into_byte_and_flags() {
        assert_eq!(Received::from_dr(0x41), Received { byte: b'A', error: false, overrun: false });
        // Overrun (bit 11) is reported apart from framing (8), parity (9) and break (10).
        assert_eq!(Received::from_dr(0x800 | 0x42), Received { byte: b'B', error: false, overrun: true });
        for bit in [8, 9, 10] {
            assert_eq!(Received::from_dr(1 << bit | 0x43), Received { byte: b'C', error: true, overrun: false });
        }
        // Bits above the flags are not data.
        assert_eq!(Received::from_dr(0xffff_f044).byte, 0x44);
    }

    #[test]
    fn interrupt_bits_are_the_pl011_trm_ones() {
        assert_eq!(
            (Pl011::RX_INTERRUPT, Pl011::TX_INTERRUPT, Pl011::RX_TIMEOUT_INTERRUPT, Pl011::OVERRUN_INTERRUPT),
            (0x10, 0x20, 0x40, 0x400)
        );
    }
}
