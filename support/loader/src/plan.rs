//! Where the kernel and the root task's image go in physical memory, and the
//! values seL4 5.0.0 expects from its loader (see `BootPlan`).

use crate::elf::Elf;
use core::fmt;

pub const PAGE_SIZE: u64 = 4096;

/// A half-open physical or virtual address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
}

impl Region {
    pub fn overlaps(&self, other: &Region) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Region) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}..{:#x}", self.start, self.end)
    }
}

/// What the loader knows about the machine it runs on.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    pub ram: Region,
    /// The loader's own image, stack and page tables: nothing may be placed here.
    pub loader: Region,
    /// The kernel's virtual base and the physical address it maps to; the
    /// kernel ELF must be linked for exactly this window.
    pub kernel_virt_base: u64,
    pub kernel_phys_base: u64,
}

/// The hand-off to seL4 5.0.0's `_start`: x0 = `user_phys.start`,
/// x1 = `user_phys.end`, x2 = `pv_offset`, x3 = `user_entry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootPlan {
    pub kernel_entry: u64,
    pub kernel_phys: Region,
    pub user_phys: Region,
    pub user_virt: Region,
    /// Physical minus virtual address of the user image.
    pub pv_offset: i64,
    pub user_entry: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanError {
    KernelNotInWindow { index: usize, vaddr: u64, paddr: u64 },
    KernelOutsideRam { index: usize, region: Region },
    KernelOverlapsLoader { region: Region },
    UserImageOutsideRam { region: Region },
    UserImageOverlapsLoader { region: Region },
    UserImageTooHigh { end: u64 },
    AddressOverflow,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::KernelNotInWindow { index, vaddr, paddr } => write!(
                f,
                "kernel segment {index} (vaddr {vaddr:#x}, paddr {paddr:#x}) is not linked for the kernel window"
            ),
            Self::KernelOutsideRam { index, region } => {
                write!(f, "kernel segment {index} at {region} is outside RAM")
            }
            Self::KernelOverlapsLoader { region } => {
                write!(f, "kernel at {region} overlaps the loader")
            }
            Self::UserImageOutsideRam { region } => {
                write!(f, "root task image at {region} does not fit in RAM")
            }
            Self::UserImageOverlapsLoader { region } => {
                write!(f, "root task image at {region} overlaps the loader")
            }
            Self::UserImageTooHigh { end } => write!(
                f,
                "root task image ends at virtual {end:#x}, too high for its IPC buffer and bootinfo pages"
            ),
            Self::AddressOverflow => write!(f, "an image address overflows"),
        }
    }
}

fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

fn page_up(addr: u64) -> Result<u64, PlanError> {
    addr.checked_add(PAGE_SIZE - 1).map(page_down).ok_or(PlanError::AddressOverflow)
}

/// Places the kernel where it is linked and the root task's image, physically
/// contiguous and page-aligned, right after the kernel.
pub fn plan(kernel: &Elf, user: &Elf, machine: &Machine) -> Result<BootPlan, PlanError> {
    let window_offset = machine.kernel_virt_base.wrapping_sub(machine.kernel_phys_base);
    let mut kernel_phys = Region { start: u64::MAX, end: 0 };
    for (index, seg) in kernel.segments().enumerate() {
        if seg.vaddr.wrapping_sub(seg.paddr) != window_offset {
            return Err(PlanError::KernelNotInWindow { index, vaddr: seg.vaddr, paddr: seg.paddr });
        }
        let region = Region { start: seg.paddr, end: seg.paddr_end() };
        if !machine.ram.contains(&region) {
            return Err(PlanError::KernelOutsideRam { index, region });
        }
        kernel_phys.start = kernel_phys.start.min(region.start);
        kernel_phys.end = kernel_phys.end.max(region.end);
    }
    kernel_phys = Region { start: page_down(kernel_phys.start), end: page_up(kernel_phys.end)? };
    if kernel_phys.overlaps(&machine.loader) {
        return Err(PlanError::KernelOverlapsLoader { region: kernel_phys });
    }

    let mut user_virt = Region { start: u64::MAX, end: 0 };
    for seg in user.segments() {
        user_virt.start = user_virt.start.min(seg.vaddr);
        user_virt.end = user_virt.end.max(seg.vaddr_end());
    }
    user_virt = Region { start: page_down(user_virt.start), end: page_up(user_virt.end)? };
    // seL4 puts the IPC buffer and the bootinfo frame in the two pages above the image.
    let top = user_virt.end.checked_add(2 * PAGE_SIZE).ok_or(PlanError::AddressOverflow)?;
    if top > machine.kernel_virt_base {
        return Err(PlanError::UserImageTooHigh { end: user_virt.end });
    }
    let user_start = kernel_phys.end;
    let user_end = user_start.checked_add(user_virt.len()).ok_or(PlanError::AddressOverflow)?;
    let user_phys = Region { start: user_start, end: user_end };
    if !machine.ram.contains(&user_phys) {
        return Err(PlanError::UserImageOutsideRam { region: user_phys });
    }
    if user_phys.overlaps(&machine.loader) {
        return Err(PlanError::UserImageOverlapsLoader { region: user_phys });
    }

    Ok(BootPlan {
        kernel_entry: kernel.entry(),
        kernel_phys,
        user_phys,
        user_virt,
        pv_offset: user_phys.start.wrapping_sub(user_virt.start) as i64,
        user_entry: user.entry(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::{build, Seg};
    use std::vec;

    const KBASE: u64 = 0xffff_ff80_0000_0000;
    const MACHINE: Machine = Machine {
        ram: Region { start: 0x4000_0000, end: 0x8000_0000 },
        loader: Region { start: 0x7c00_0000, end: 0x8000_0000 },
        kernel_virt_base: KBASE,
        kernel_phys_base: 0x4000_0000,
    };

    fn kernel() -> std::vec::Vec<u8> {
        build(KBASE, &[Seg { vaddr: KBASE, paddr: 0x4000_0000, data: vec![0; 64], mem_size: 0x23_2000 }])
    }

    fn user(vaddr: u64, mem_size: u64) -> std::vec::Vec<u8> {
        build(vaddr, &[Seg { vaddr, paddr: vaddr, data: vec![0; 8], mem_size }])
    }

    #[test]
    fn places_user_image_after_kernel() {
        let (k, u) = (kernel(), user(0x40_0100, 0x3000));
        let p = plan(&Elf::parse(&k).unwrap(), &Elf::parse(&u).unwrap(), &MACHINE).unwrap();
        assert_eq!(p.kernel_phys, Region { start: 0x4000_0000, end: 0x4023_2000 });
        assert_eq!(p.user_virt, Region { start: 0x40_0000, end: 0x40_4000 });
        assert_eq!(p.user_phys, Region { start: 0x4023_2000, end: 0x4023_6000 });
        assert_eq!(p.pv_offset, 0x4023_2000 - 0x40_0000);
        assert_eq!(p.user_entry, 0x40_0100);
        assert_eq!(p.kernel_entry, KBASE);
    }

    #[test]
    fn rejects_kernel_linked_for_another_window() {
        let k = build(KBASE, &[Seg { vaddr: KBASE, paddr: 0x2000_0000, data: vec![], mem_size: 16 }]);
        let u = user(0x40_0000, 0x1000);
        let err = plan(&Elf::parse(&k).unwrap(), &Elf::parse(&u).unwrap(), &MACHINE).unwrap_err();
        assert!(matches!(err, PlanError::KernelNotInWindow { index: 0, .. }));
    }

    #[test]
    fn rejects_user_image_reaching_the_loader() {
        let (k, u) = (kernel(), user(0x40_0000, 0x3c00_0000));
        let err = plan(&Elf::parse(&k).unwrap(), &Elf::parse(&u).unwrap(), &MACHINE).unwrap_err();
        assert!(matches!(err, PlanError::UserImageOverlapsLoader { .. }), "{err}");
    }

    #[test]
    fn rejects_user_image_larger_than_ram() {
        let (k, u) = (kernel(), user(0x40_0000, 0x8000_0000));
        let err = plan(&Elf::parse(&k).unwrap(), &Elf::parse(&u).unwrap(), &MACHINE).unwrap_err();
        assert!(matches!(err, PlanError::UserImageOutsideRam { .. }), "{err}");
    }

    #[test]
    fn rejects_user_image_too_close_to_kernel_window() {
        let (k, u) = (kernel(), user(KBASE - 0x2000, 0x1000));
        let err = plan(&Elf::parse(&k).unwrap(), &Elf::parse(&u).unwrap(), &MACHINE).unwrap_err();
        assert!(matches!(err, PlanError::UserImageTooHigh { .. }), "{err}");
    }
}
