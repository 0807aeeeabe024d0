//! EL0 access to the physical side of the ARM generic timer: the counter
//! (`CNTPCT_EL0`), its frequency (`CNTFRQ_EL0`) and the non-secure physical
//! timer (`CNTP_CVAL_EL0`, `CNTP_CTL_EL0`, interrupt `IRQ`). Every kernel
//! build opens these to EL0 (support/kernel/platform/.../hardware.c), so any
//! thread may use them; in a system the timer driver PD (`pds/timer`) is the
//! one meant to. Conversions between ticks and nanoseconds are here too, in
//! 128-bit arithmetic so that no value overflows on the way.
#![no_std]

/// The non-secure physical timer's interrupt (PPI 14).
pub const IRQ: u64 = 30;

/// `CNTP_CTL_EL0`: the timer is on.
pub const CTL_ENABLE: u64 = 1 << 0;
/// `CNTP_CTL_EL0`: its interrupt is masked (ISTATUS still shows the condition).
pub const CTL_IMASK: u64 = 1 << 1;
/// `CNTP_CTL_EL0`, read only: the counter has reached `CNTP_CVAL_EL0`.
pub const CTL_ISTATUS: u64 = 1 << 2;

const NS_PER_S: u128 = 1_000_000_000;

/// Nanoseconds in `ticks` of a counter running at `hz`, rounded down
/// (0 when `hz` is 0; saturating past `u64::MAX`).
pub fn ticks_to_ns(ticks: u64, hz: u64) -> u64 {
    if hz == 0 {
        return 0;
    }
    u64::try_from(u128::from(ticks) * NS_PER_S / u128::from(hz)).unwrap_or(u64::MAX)
}

/// The first tick at which `ticks_to_ns` reaches `ns`: rounded up, so a
/// compare value made from it never fires before `ns` (`u64::MAX`, never,
/// when it is out of range or `hz` is 0).
pub fn ns_to_ticks_ceil(ns: u64, hz: u64) -> u64 {
    if hz == 0 {
        return u64::MAX;
    }
    u64::try_from((u128::from(ns) * u128::from(hz)).div_ceil(NS_PER_S)).unwrap_or(u64::MAX)
}

#[cfg(target_arch = "aarch64")]
mod registers {
    use core::arch::asm;

    /// The physical count. The isb keeps the read from being taken before
    /// the instructions ahead of it (the architecture lets it run early).
    pub fn counter() -> u64 {
        let value: u64;
        // SAFETY: reads a system register the kernel opens to EL0.
        unsafe { asm!("isb", "mrs {}, cntpct_el0", out(reg) value, options(nomem, nostack)) };
        value
    }

    /// The counter's frequency in Hz, as the firmware (QEMU) set it.
    pub fn frequency() -> u64 {
        let value: u64;
        // SAFETY: as in `counter`.
        unsafe { asm!("mrs {}, cntfrq_el0", out(reg) value, options(nomem, nostack)) };
        value
    }

    pub fn compare() -> u64 {
        let value: u64;
        // SAFETY: as in `counter`.
        unsafe { asm!("mrs {}, cntp_cval_el0", out(reg) value, options(nomem, nostack)) };
        value
    }

    pub fn control() -> u64 {
        let value: u64;
        // SAFETY: as in `counter`.
        unsafe { asm!("isb", "mrs {}, cntp_ctl_el0", out(reg) value, options(nomem, nostack)) };
        value
    }

    /// Sets the compare value: with the timer enabled, its condition (and
    /// interrupt, unless masked) holds while the counter is at or past it.
    pub fn set_compare(value: u64) {
        // SAFETY: writes a timer register the kernel opens to EL0 and does
        // not use itself (its tick is on the virtual timer).
        unsafe { asm!("msr cntp_cval_el0, {}", "isb", in(reg) value, options(nomem, nostack)) };
    }

    /// Sets `CTL_ENABLE` and `CTL_IMASK` (ISTATUS is read only).
    pub fn set_control(value: u64) {
        // SAFETY: as in `set_compare`.
        unsafe { asm!("msr cntp_ctl_el0, {}", "isb", in(reg) value, options(nomem, nostack)) };
    }
}

#[cfg(target_arch = "aarch64")]
pub use registers::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// QEMU virt's counter frequency.
    const QEMU_HZ: u64 = 62_500_000;

    #[test]
    fn ticks_and_nanoseconds() {
        assert_eq!(ticks_to_ns(QEMU_HZ, QEMU_HZ), 1_000_000_000);
        assert_eq!(ticks_to_ns(1, QEMU_HZ), 16);
        assert_eq!(ns_to_ticks_ceil(16, QEMU_HZ), 1);
        assert_eq!(ns_to_ticks_ceil(17, QEMU_HZ), 2);
        assert_eq!(ns_to_ticks_ceil(0, QEMU_HZ), 0);
        // Past 2^64 ns the conversions saturate instead of wrapping.
        assert_eq!(ticks_to_ns(u64::MAX, 1), u64::MAX);
        assert_eq!(ns_to_ticks_ceil(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!((ticks_to_ns(5, 0), ns_to_ticks_ceil(5, 0)), (0, u64::MAX));
    }

    #[test]
    fn a_deadline_in_ticks_is_never_early() {
        for hz in [QEMU_HZ, 19_200_000, 24_000_000, 1_000_000_007] {
            for ns in (0..5_000u64).chain([u64::MAX / 3, 123_456_789_012]) {
                let ticks = ns_to_ticks_ceil(ns, hz);
                assert!(ticks_to_ns(ticks, hz) >= ns, "{ns} ns at {hz} Hz");
                // And it is the first such tick.
                assert!(ticks == 0 || ticks_to_ns(ticks - 1, hz) < ns, "{ns} ns at {hz} Hz");
            }
        }
    }
}
