//! Kernel objects out of the untyped memory the kernel handed us.
//!
//! The monitor is the only user of its untypeds, so it can track each one's
//! watermark exactly as the kernel does (the next object starts at the
//! watermark rounded up to the object's size). That makes two things
//! possible: a contiguous run of objects in one untyped (a region's frames),
//! and an object at a chosen physical address (device regions), reached by
//! retyping filler untypeds up to it.

use alloc::vec::Vec;

use sel4::{init_thread, BootInfo, Cap, Error, ObjectType, Word};

use crate::MonitorError;

struct Untyped {
    cap: Word,
    paddr: u64,
    size: u64,
    device: bool,
    /// Bytes from `paddr` already given out.
    used: u64,
}

pub struct Objects {
    untypeds: Vec<Untyped>,
    next_slot: Word,
    end_slot: Word,
}

/// Bytes one object of `ty` takes (`size_bits` for variable-sized types).
pub fn object_bytes(ty: ObjectType, size_bits: u64) -> u64 {
    use sel4::consts::*;
    let bits = match ty {
        ObjectType::Tcb => TCB_BITS,
        ObjectType::Endpoint => ENDPOINT_BITS,
        ObjectType::Notification => NOTIFICATION_BITS,
        ObjectType::CapTable => size_bits + SLOT_BITS,
        ObjectType::Untyped => size_bits,
        ObjectType::SmallPage => PAGE_BITS,
        ObjectType::LargePage => LARGE_PAGE_BITS,
        ObjectType::HugePage => HUGE_PAGE_BITS,
        ObjectType::PageTable => PAGE_TABLE_BITS,
        ObjectType::PageDirectory => PAGE_DIR_BITS,
        ObjectType::PageUpperDirectory => PUD_BITS,
        ObjectType::PageGlobalDirectory => PGD_BITS,
    };
    1 << bits
}

impl Objects {
    pub fn new(bootinfo: &BootInfo) -> Objects {
        let first = bootinfo.untyped.range().start;
        let untypeds = bootinfo
            .untyped_list()
            .iter()
            .enumerate()
            .map(|(i, u)| Untyped {
                cap: first + i as Word,
                paddr: u.paddr,
                size: u.size(),
                device: u.is_device(),
                used: 0,
            })
            .collect();
        let empty = bootinfo.empty.range();
        Objects { untypeds, next_slot: empty.start, end_slot: empty.end }
    }

    /// A free slot in our CNode.
    pub fn slot(&mut self) -> Result<Word, MonitorError> {
        self.slots(1)
    }

    fn slots(&mut self, count: u64) -> Result<Word, MonitorError> {
        let first = self.next_slot;
        if self.end_slot - first < count {
            return Err(MonitorError::OutOfSlots);
        }
        self.next_slot += count;
        Ok(first)
    }

    /// `count` objects, contiguous in physical memory, in consecutive slots;
    /// returns the first slot.
    pub fn create(&mut self, ty: ObjectType, size_bits: u64, count: u64) -> Result<Word, MonitorError> {
        let bytes = object_bytes(ty, size_bits);
        let need = bytes * count;
        let index = self
            .untypeds
            .iter()
            .position(|u| !u.device && (u.paddr + u.used).next_multiple_of(bytes) + need <= u.paddr + u.size)
            .ok_or(MonitorError::OutOfMemory { bytes: need })?;
        self.retype(index, ty, size_bits, count)
    }

    /// `count` objects starting exactly at physical address `paddr` (device
    /// memory or RAM not yet given out).
    pub fn create_at(&mut self, ty: ObjectType, size_bits: u64, count: u64, paddr: u64) -> Result<Word, MonitorError> {
        let bytes = object_bytes(ty, size_bits);
        let end = paddr + bytes * count;
        let unavailable = MonitorError::PhysUnavailable { paddr, size: bytes * count };
        let index = self
            .untypeds
            .iter()
            .position(|u| u.paddr + u.used <= paddr && end <= u.paddr + u.size)
            .ok_or(unavailable)?;
        // Fill up to `paddr` with the largest aligned untypeds that fit.
        loop {
            let free = self.untypeds[index].paddr + self.untypeds[index].used;
            if free == paddr {
                break;
            }
            let align_bits = u64::from(free.trailing_zeros());
            let fit_bits = 63 - u64::from((paddr - free).leading_zeros());
            let bits = align_bits.min(fit_bits);
            if bits < sel4::consts::MIN_UNTYPED_BITS {
                return Err(unavailable);
            }
            self.retype(index, ObjectType::Untyped, bits, 1)?;
        }
        self.retype(index, ty, size_bits, count)
    }

    fn retype(&mut self, index: usize, ty: ObjectType, size_bits: u64, count: u64) -> Result<Word, MonitorError> {
        let fan_out = sel4::config::RETYPE_FAN_OUT_LIMIT as u64;
        let first = self.slots(count)?;
        let cap = Cap::<sel4::cap_type::Untyped>::from_bits(self.untypeds[index].cap);
        let mut done = 0;
        while done < count {
            let n = (count - done).min(fan_out);
            cap.untyped_retype(ty as Word, size_bits, init_thread::CNODE, 0, 0, first + done, n)
                .map_err(|e| MonitorError::Kernel { what: "retype", error: e })?;
            done += n;
        }
        let u = &mut self.untypeds[index];
        let bytes = object_bytes(ty, size_bits);
        u.used = (u.paddr + u.used).next_multiple_of(bytes) + bytes * count - u.paddr;
        Ok(first)
    }

    /// RAM bytes given out and RAM bytes in all.
    pub fn ram_usage(&self) -> (u64, u64) {
        self.untypeds.iter().filter(|u| !u.device).fold((0, 0), |(used, total), u| (used + u.used, total + u.size))
    }

    pub fn slots_left(&self) -> u64 {
        self.end_slot - self.next_slot
    }
}

/// The error kernel invocations give, tagged with what the monitor was doing.
pub fn kernel(what: &'static str) -> impl Fn(Error) -> MonitorError {
    move |error| MonitorError::Kernel { what, error }
}
