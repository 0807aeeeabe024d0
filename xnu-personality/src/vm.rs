//! Task memory. Each slot has the four regions of `xnu_abi::layout`, mapped
//! into its task with their segments' permissions and into XNU (at the
//! addresses the tool patches into `slot<N>_<region>`) for loading and for
//! copies. A task's pointers reach XNU only as a `USlice`.
use core::marker::PhantomData;

use xnu_abi::layout::{Region, REGIONS, STACK};

pub const SLOTS: usize = 8;
/// Index of each region in `REGIONS` (and in a slot's XNU addresses).
const DATA: usize = 2;
const STACK_INDEX: usize = 3;

macro_rules! slot_symbols {
    ($($slot:ident: [$($sym:ident),*]),* $(,)?) => {
        $($(
            #[no_mangle]
            #[used]
            static $sym: u64 = 0;
        )*)*
        /// XNU's address of each slot's regions, 0 where no map set it.
        fn symbol_table() -> [[(&'static str, u64); 4]; SLOTS] {
            // SAFETY: reads of our own statics, which the tool patched
            // before the PD started and nothing writes since.
            unsafe { [$([$((stringify!($sym), core::ptr::read_volatile(&$sym))),*]),*] }
        }
    };
}

slot_symbols! {
    s0: [slot0_text, slot0_rodata, slot0_data, slot0_stack],
    s1: [slot1_text, slot1_rodata, slot1_data, slot1_stack],
    s2: [slot2_text, slot2_rodata, slot2_data, slot2_stack],
    s3: [slot3_text, slot3_rodata, slot3_data, slot3_stack],
    s4: [slot4_text, slot4_rodata, slot4_data, slot4_stack],
    s5: [slot5_text, slot5_rodata, slot5_data, slot5_stack],
    s6: [slot6_text, slot6_rodata, slot6_data, slot6_stack],
    s7: [slot7_text, slot7_rodata, slot7_data, slot7_stack],
}

/// Where XNU sees one slot's regions.
#[derive(Debug, Clone, Copy)]
pub struct SlotMemory {
    xnu: [u64; 4],
    /// Bytes from each region's start that the loader wrote since the last
    /// clear (the whole region until the first clear).
    loaded: [u64; 4],
}

/// The regions a task can write (data and stack), by index.
fn writable(r: usize) -> bool {
    r == DATA || r == STACK_INDEX
}

impl SlotMemory {
    /// Every slot's memory, or the first symbol no map in `system.xml` set.
    pub fn all() -> Result<[SlotMemory; SLOTS], &'static str> {
        let table = symbol_table();
        let mut out = [SlotMemory { xnu: [0; 4], loaded: REGIONS.map(|r| r.size) }; SLOTS];
        for (slot, symbols) in table.iter().enumerate() {
            for (r, &(name, vaddr)) in symbols.iter().enumerate() {
                if vaddr == 0 {
                    return Err(name);
                }
                out[slot].xnu[r] = vaddr;
            }
        }
        Ok(out)
    }

    /// Zeroes what a task could find of the last one: all of data and
    /// stack (the task may have written anywhere in them), and of text and
    /// rodata what the loader wrote (the task cannot write them, nor can
    /// XNU's copies, which a `USlice` limits to data and stack).
    pub fn clear(&mut self) {
        for (r, region) in REGIONS.iter().enumerate() {
            let len = if writable(r) { region.size } else { self.loaded[r].min(region.size) };
            // SAFETY: XNU maps each region read-write at `xnu[r]`, `size`
            // bytes long, and the slot's task is stopped.
            unsafe { core::ptr::write_bytes(self.xnu[r] as *mut u8, 0, len as usize) };
            self.loaded[r] = 0;
        }
    }

    /// Writes `bytes` at task address `addr` for the loader, whatever the
    /// region's permissions for the task. `None` if it does not fit.
    pub fn load(&mut self, addr: u64, bytes: &[u8]) -> Option<()> {
        let (r, offset) = locate(addr, bytes.len() as u64, |_| true)?;
        self.loaded[r] = self.loaded[r].max(offset + bytes.len() as u64);
        // SAFETY: [offset, offset + len) lies inside region r (`locate`),
        // which XNU maps read-write; the task is stopped while it loads.
        unsafe { volatile_copy::copy_to_volatile((self.xnu[r] + offset) as *mut u8, bytes) };
        Some(())
    }
}

/// The region holding `[addr, addr + len)` whole, if `allowed`, and the
/// offset of `addr` in it.
fn locate(addr: u64, len: u64, allowed: impl Fn(usize) -> bool) -> Option<(usize, u64)> {
    let end = addr.checked_add(len)?;
    REGIONS
        .iter()
        .position(|r: &Region| addr >= r.base && end <= r.end())
        .filter(|&r| allowed(r))
        .map(|r| (r, addr - REGIONS[r].base))
}

/// How XNU will use a task's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// copyin: any region the task can read (all four).
    Read,
    /// copyout: only the regions the task can write (data and stack).
    Write,
}

/// A pointer and length a task passed that failed the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAddress {
    pub addr: u64,
    pub len: u64,
}

/// Values a `USlice` may hold: plain little-endian bytes, any bit pattern valid.
pub trait Plain: Copy {
    const SIZE: usize;
    fn from_le(bytes: &[u8]) -> Self;
    fn to_le(self, out: &mut [u8]);
}

macro_rules! plain {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn from_le(bytes: &[u8]) -> Self {
                let mut b = [0; core::mem::size_of::<$t>()];
                b.copy_from_slice(&bytes[..Self::SIZE]);
                <$t>::from_le_bytes(b)
            }
            fn to_le(self, out: &mut [u8]) {
                out[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
plain!(u8, u32, u64);

/// `count` values of `T` in a task's memory, checked once: after `new`,
/// nothing XNU does with it can fault or reach outside the task's regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct USlice<T> {
    /// XNU's address of the first value.
    xnu: u64,
    count: usize,
    _t: PhantomData<T>,
}

impl<T: Plain> USlice<T> {
    /// Load-bearing: these checks are all that stands between a hostile
    /// task's numbers and XNU's own memory. `addr` must be aligned for `T`;
    /// `count * size` must not overflow, nor `addr + bytes` wrap; the whole
    /// range must lie in one region of the task that `access` permits (so
    /// kernel addresses, unmapped gaps and ranges that run off a region's
    /// end all fail). An empty range needs no memory and always passes.
    pub fn new(mem: &SlotMemory, addr: u64, count: u64, access: Access) -> Result<Self, BadAddress> {
        let bad = BadAddress { addr, len: count };
        let bytes = count.checked_mul(T::SIZE as u64).ok_or(bad)?;
        if bytes == 0 {
            return Ok(USlice { xnu: 0, count: 0, _t: PhantomData });
        }
        if !addr.is_multiple_of(T::SIZE as u64) {
            return Err(bad);
        }
        let (r, offset) = locate(addr, bytes, |r| access == Access::Read || writable(r)).ok_or(bad)?;
        Ok(USlice { xnu: mem.xnu[r] + offset, count: count as usize, _t: PhantomData })
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// The first `n` values (all if fewer).
    pub fn prefix(&self, n: usize) -> Self {
        USlice { count: self.count.min(n), ..*self }
    }

    /// Copies the bytes in; `out` must be `len() * size` bytes long.
    pub fn copy_in(&self, out: &mut [u8]) {
        let n = out.len().min(self.count * T::SIZE);
        if n > 0 {
            // SAFETY: 1. `new` proved [xnu, xnu + count * size) is inside a
            // region XNU maps; 2. n is at most that length. The task may
            // change the bytes while we copy (volatile, so no torn
            // assumption is made about them).
            unsafe { volatile_copy::copy_from_volatile(&mut out[..n], self.xnu as *const u8) };
        }
    }

    /// Copies `bytes` out; at most `len() * size` of them.
    pub fn copy_out(&self, bytes: &[u8]) {
        let n = bytes.len().min(self.count * T::SIZE);
        if n > 0 {
            // SAFETY: as in `copy_in`, and `new` with `Access::Write` proved
            // the region is one the task may write; XNU maps it read-write.
            unsafe { volatile_copy::copy_to_volatile(self.xnu as *mut u8, &bytes[..n]) };
        }
    }

    /// Copies the slice's bytes to `dst`, memory XNU shares with a PD.
    ///
    /// # Safety
    /// `dst..dst + self.len() * T::SIZE` is valid for writes meanwhile.
    pub unsafe fn copy_to_shared(&self, dst: *mut u8) {
        // SAFETY: the slice is task memory XNU maps (checked in `new`); the caller vouches for `dst`.
        unsafe { volatile_copy::copy_volatile(dst, self.xnu as *const u8, self.count * T::SIZE) };
    }

    /// Fills the slice from `src`, memory XNU shares with a PD.
    ///
    /// # Safety
    /// `src..src + self.len() * T::SIZE` is valid for reads meanwhile.
    pub unsafe fn copy_from_shared(&self, src: *const u8) {
        // SAFETY: as for `copy_to_shared`.
        unsafe { volatile_copy::copy_volatile(self.xnu as *mut u8, src, self.count * T::SIZE) };
    }

    pub fn read(&self) -> Option<T> {
        let mut b = [0u8; 8];
        (self.count > 0).then(|| {
            self.prefix(1).copy_in(&mut b[..T::SIZE]);
            T::from_le(&b)
        })
    }

    pub fn write(&self, value: T) {
        let mut b = [0u8; 8];
        value.to_le(&mut b);
        self.prefix(1).copy_out(&b[..T::SIZE]);
    }
}

/// Why a task's string could not be copied in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrError {
    Fault(BadAddress),
    /// No NUL within the limit.
    TooLong,
}

/// A NUL-terminated string at `addr`, at most `max` bytes before the NUL.
pub fn copy_in_str(mem: &SlotMemory, addr: u64, max: usize) -> Result<alloc::vec::Vec<u8>, StrError> {
    let mut out = alloc::vec::Vec::new();
    for i in 0..=max as u64 {
        let at = addr.checked_add(i).ok_or(StrError::Fault(BadAddress { addr, len: i }))?;
        let byte = USlice::<u8>::new(mem, at, 1, Access::Read).map_err(StrError::Fault)?.read().unwrap_or(0);
        if byte == 0 {
            return Ok(out);
        }
        out.push(byte);
    }
    Err(StrError::TooLong)
}

/// The top of a task's stack.
pub const STACK_TOP: u64 = STACK.base + STACK.size;
