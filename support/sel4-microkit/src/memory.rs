//! Mapped memory regions, reached through a symbol the tool patches with the
//! region's address (`<map ... setvar_vaddr="symbol"/>`). Every access is
//! bounds-checked and volatile: a region may be shared with another PD.

use core::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionError {
    /// The symbol was never patched: no `setvar_vaddr` names it.
    NotMapped(&'static str),
    OutOfBounds { offset: usize, len: usize, size: usize },
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RegionError::NotMapped(symbol) => {
                write!(f, "region symbol '{symbol}' was not set: no map in system.xml has setvar_vaddr=\"{symbol}\"")
            }
            RegionError::OutOfBounds { offset, len, size } => {
                write!(f, "access of {len} bytes at offset {offset:#x} is outside the {size:#x}-byte region")
            }
        }
    }
}

/// A region mapped into this PD: `[vaddr, vaddr + size)`.
#[derive(Debug, Clone, Copy)]
pub struct MemoryRegion {
    base: *mut u8,
    size: usize,
}

impl MemoryRegion {
    /// # Safety
    /// 1. `[vaddr, vaddr + size)` is mapped in this PD for as long as the value
    ///    is used (the monitor mapped it from `system.xml` and never unmaps);
    /// 2. writes happen only if the mapping is writable.
    pub unsafe fn new(symbol: &'static str, vaddr: u64, size: usize) -> Result<Self, RegionError> {
        if vaddr == 0 {
            return Err(RegionError::NotMapped(symbol));
        }
        Ok(MemoryRegion { base: vaddr as *mut u8, size })
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn base(&self) -> *mut u8 {
        self.base
    }

    fn check(&self, offset: usize, len: usize) -> Result<(), RegionError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(RegionError::OutOfBounds { offset, len, size: self.size }),
        }
    }

    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<(), RegionError> {
        self.check(offset, out.len())?;
        // SAFETY: in bounds (checked above) of a mapped region (`new`).
        unsafe { volatile_copy::copy_from_volatile(out, self.base.add(offset)) };
        Ok(())
    }

    pub fn write(&self, offset: usize, bytes: &[u8]) -> Result<(), RegionError> {
        self.check(offset, bytes.len())?;
        // SAFETY: in bounds of a mapped region; writability is the caller's
        // promise in `new` (a read-only map faults instead).
        unsafe { volatile_copy::copy_to_volatile(self.base.add(offset), bytes) };
        Ok(())
    }

    pub fn read_u64(&self, offset: usize) -> Result<u64, RegionError> {
        let mut b = [0; 8];
        self.read(offset, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn write_u64(&self, offset: usize, value: u64) -> Result<(), RegionError> {
        self.write(offset, &value.to_le_bytes())
    }
}

/// Declares the symbol a `<map setvar_vaddr="NAME">` patches and returns the
/// region: `memory_region_symbol!(shared_vaddr, 0x1000)`.
#[macro_export]
macro_rules! memory_region_symbol {
    ($symbol:ident, $size:expr) => {{
        #[no_mangle]
        #[used]
        static $symbol: u64 = 0;
        // SAFETY: the tool patches the symbol with the vaddr where the monitor
        // mapped the region, and the monitor never unmaps it.
        unsafe {
            $crate::MemoryRegion::new(stringify!($symbol), core::ptr::read_volatile(&$symbol), $size)
        }
    }};
}
