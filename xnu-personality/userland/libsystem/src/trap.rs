//! The trap instruction: `svc #0x80` with the number in x16, arguments in
//! x0-x6, and the x7 hint (ABI.md). BSD calls report failure in the carry
//! flag with errno in x0; Mach traps return a `kern_return_t` in x0.
use core::arch::asm;

use xnu_abi::hint;

/// A failed BSD call's errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub u64);

/// The carry flag in NZCV.
const CARRY: u64 = 1 << 29;

/// Raw trap: returns x0, x1 and whether carry was set.
#[inline(always)]
fn trap(number: i64, a: [u64; 7]) -> (u64, u64, bool) {
    trap_x7(number, a, hint(number))
}

/// The same with `x7` as given: an eighth argument instead of the hint
/// (XNU then reads the number from x16 in the task's registers).
#[inline(always)]
fn trap_x7(number: i64, a: [u64; 7], x7: u64) -> (u64, u64, bool) {
    let (x0, x1, nzcv): (u64, u64, u64);
    // SAFETY: the trap only reads and writes memory through the pointers
    // the caller passed in `a`, which XNU checks against our mappings; it
    // returns x0 and x1 and leaves every other register as it was.
    unsafe {
        asm!(
            "svc #0x80",
            "mrs {nzcv}, nzcv",
            nzcv = lateout(reg) nzcv,
            inout("x0") a[0] => x0,
            inout("x1") a[1] => x1,
            inout("x2") a[2] => _,
            inout("x3") a[3] => _,
            inout("x4") a[4] => _,
            inout("x5") a[5] => _,
            inout("x6") a[6] => _,
            inout("x7") x7 => _,
            in("x16") number,
            options(nostack),
        );
    }
    (x0, x1, nzcv & CARRY != 0)
}

/// A BSD call: `Ok(x0)` or `Err(errno)`.
#[inline(always)]
pub fn bsd_trap(number: i64, a: [u64; 6]) -> Result<u64, Errno> {
    let (x0, _, carry) = trap(number, [a[0], a[1], a[2], a[3], a[4], a[5], 0]);
    if carry {
        Err(Errno(x0))
    } else {
        Ok(x0)
    }
}

/// A Mach trap of eight arguments (x0-x7, no hint): its `kern_return_t`.
#[inline(always)]
pub fn mach_trap8(number: i64, a: [u64; 8]) -> u64 {
    trap_x7(number, [a[0], a[1], a[2], a[3], a[4], a[5], a[6]], a[7]).0
}

/// A Mach trap: its `kern_return_t` (or the value it returns, for
/// `mach_absolute_time` and the port-returning traps).
#[inline(always)]
pub fn mach_trap(number: i64, a: [u64; 7]) -> u64 {
    trap(number, a).0
}

/// seL4's Call, in x7 (its syscall numbers are negative).
const SEL4_CALL: i64 = -1;
/// A message info word: the label above 12 bits of flags and length.
const fn message_info(label: u64, words: u64) -> u64 {
    label << 12 | words
}

/// The fast call (ABI.md): seL4 Call on the task's channel to XNU with
/// `label` and `words` (at most four; more are not sent), in registers.
/// Returns the reply's first word, or KERN_FAILURE for a reply without one.
#[inline(always)]
pub fn fast_call(label: u64, words: &[u64]) -> u64 {
    let count = words.len().min(4);
    let mut w = [0u64; 4];
    w[..count].copy_from_slice(&words[..count]);
    let (info, first): (u64, u64);
    // SAFETY: as for `trap`: XNU reads and writes our memory only through
    // the pointers in `words`, checked against our mappings; the kernel
    // returns the badge, message info and four message registers in x0-x5.
    unsafe {
        asm!(
            "svc #0",
            inout("x0") xnu_abi::fast::CAP => _,
            inout("x1") message_info(label, count as u64) => info,
            inout("x2") w[0] => first,
            inout("x3") w[1] => _,
            inout("x4") w[2] => _,
            inout("x5") w[3] => _,
            in("x7") SEL4_CALL,
            options(nostack),
        );
    }
    if info & 0x7f == 0 {
        xnu_abi::kern::KERN_FAILURE
    } else {
        first
    }
}
