//! Output for a release kernel, which has no debug console syscall: the PL011
//! UART's registers, mapped from its device untyped.

use sel4::cap_type::{Page, Untyped};
use sel4::{BootInfo, Cap, CapRights, ObjectType, VmAttributes, Word};
use pl011::Pl011;

/// Maps the UART at `vaddr`, taking slots from `next_slot`.
pub fn map(bi: &BootInfo, vaddr: Word, next_slot: &mut Word) -> Result<Pl011, sel4::Error> {
    let index = bi
        .untyped_list()
        .iter()
        .position(|u| u.is_device() && u.paddr == Pl011::PADDR)
        .ok_or(sel4::Error::FailedLookup)?;
    let device = Cap::<Untyped>::from_bits(bi.untyped.start + index as Word);
    let cnode = sel4::init_thread::CNODE;
    let mut take = || {
        *next_slot += 1;
        *next_slot - 1
    };
    let frame = take();
    device.untyped_retype(ObjectType::SmallPage as Word, 0, cnode, 0, 0, frame, 1)?;
    let tables = find_ram(bi).ok_or(sel4::Error::NotEnoughMemory)?;
    sel4_root_task::map_frame(Cap::<Page>::from_bits(frame), vaddr, CapRights::read_write(), VmAttributes::NONE, &mut |ty| {
        let slot = take();
        tables.untyped_retype(ty as Word, 0, cnode, 0, 0, slot, 1).map(|_| slot)
    })?;
    // SAFETY: the register page was just mapped at `vaddr` and stays mapped.
    Ok(unsafe { Pl011::at(vaddr) })
}

/// The smallest RAM untyped of at least 1 MiB, for small objects.
pub fn find_ram(bi: &BootInfo) -> Option<Cap<Untyped>> {
    bi.untyped_list()
        .iter()
        .enumerate()
        .filter(|(_, u)| !u.is_device() && u.size_bits >= 20)
        .min_by_key(|(_, u)| u.size_bits)
        .map(|(i, _)| Cap::from_bits(bi.untyped.start + i as Word))
}
