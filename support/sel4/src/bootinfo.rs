//! The bootinfo frame the kernel gives the root task (mirrors
//! `seL4_BootInfo` of 5.0.0's `bootinfo_types.h`, a packed C struct).
//! In 5.0.0 device memory appears as untypeds with `is_device` set.

use core::ops::Range;

use crate::generated::config::MAX_NUM_BOOTINFO_UNTYPED_CAPS;
use crate::Word;

/// A range of CNode slots: `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed)]
pub struct SlotRegion {
    pub start: Word,
    pub end: Word,
}

impl SlotRegion {
    pub fn range(&self) -> Range<Word> {
        self.start..self.end
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One untyped capability's physical range.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed)]
pub struct UntypedDesc {
    pub paddr: Word,
    padding1: u8,
    padding2: u8,
    pub size_bits: u8,
    is_device: u8,
}

impl UntypedDesc {
    pub fn is_device(&self) -> bool {
        self.is_device != 0
    }

    pub fn size(&self) -> u64 {
        1u64.checked_shl(u32::from(self.size_bits)).unwrap_or(0)
    }
}

#[repr(C, packed)]
pub struct BootInfo {
    pub extra_len: Word,
    pub node_id: Word,
    pub num_nodes: Word,
    pub num_io_pt_levels: Word,
    pub ipc_buffer: Word,
    pub empty: SlotRegion,
    pub shared_frames: SlotRegion,
    pub user_image_frames: SlotRegion,
    pub user_image_paging: SlotRegion,
    pub io_space_caps: SlotRegion,
    pub extra_bi_pages: SlotRegion,
    pub init_thread_cnode_size_bits: u8,
    pub init_thread_domain: Word,
    pub arch_info: Word,
    pub untyped: SlotRegion,
    untyped_list: [UntypedDesc; MAX_NUM_BOOTINFO_UNTYPED_CAPS as usize],
}

impl BootInfo {
    /// The descriptor of each untyped cap in `untyped`, in slot order.
    pub fn untyped_list(&self) -> &[UntypedDesc] {
        let n = self.untyped.len().min(MAX_NUM_BOOTINFO_UNTYPED_CAPS as usize);
        &self.untyped_list[..n]
    }
}
