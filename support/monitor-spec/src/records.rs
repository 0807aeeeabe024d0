//! The spec's records. Field order keeps every record free of implicit padding
//! (zerocopy refuses layouts with hidden bytes).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Bytes in the data area (`offset` from the blob start), or a table's place
/// (`offset` from the blob start, `len` records).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Span {
    pub offset: u64,
    pub len: u64,
}

/// A run of records in one table: `first .. first + count`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Run {
    pub first: u32,
    pub count: u32,
}

impl Run {
    pub fn range(self) -> core::ops::Range<usize> {
        let first = self.first as usize;
        first..first + self.count as usize
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Header {
    pub magic: [u8; 8],
    pub version: u32,
    /// `size_of::<Header>()` of the writer; a reader refuses any other.
    pub header_size: u32,
    /// The whole blob, header included.
    pub total_size: u64,
    /// FNV-1a over the whole blob with this field read as zero.
    pub checksum: u64,
    pub pds: Span,
    pub segments: Span,
    pub regions: Span,
    pub maps: Span,
    pub irqs: Span,
    pub ends: Span,
    pub paddr_patches: Span,
    /// Names, segment bytes and prefills; every `Span` in a record points in here.
    pub data: Span,
}

/// Byte offset of `Header::checksum` (read as zero when checksumming).
pub const CHECKSUM_OFFSET: usize = 24;
/// Where `Header::total_size` lies.
pub const TOTAL_SIZE_OFFSET: usize = 16;

/// `Pd::parent` of a top-level PD.
pub const NO_PARENT: u32 = u32::MAX;

/// `Pd::flags` bits.
pub const PD_FPU: u8 = 1 << 0;
/// The PD receives PPCs or has children, so its input cap is an endpoint.
pub const PD_ENDPOINT: u8 = 1 << 1;
/// The PD may make the debug kernel's debug syscalls (`debug_syscalls`, on
/// unless the system says false): the monitor gives it maximum controlled
/// priority 1, else 0, which on a kernel with patch 0012 turns every debug
/// syscall it makes into an UnknownSyscall fault.
pub const PD_DEBUG_SYSCALLS: u8 = 1 << 2;

/// One protection domain. Parents come before their children in the table.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Pd {
    pub name: Span,
    pub entry: u64,
    pub stack_size: u64,
    pub parent: u32,
    /// The id the parent knows this child by (meaningless without a parent).
    pub child_id: u32,
    pub priority: u8,
    pub flags: u8,
    pub _pad: [u8; 6],
    pub segments: Run,
    pub maps: Run,
    pub irqs: Run,
    pub ends: Run,
    pub paddr_patches: Run,
}

/// `perms` bits of segments and maps.
pub const PERM_READ: u32 = 1 << 0;
pub const PERM_WRITE: u32 = 1 << 1;
pub const PERM_EXECUTE: u32 = 1 << 2;

/// A loadable segment, with the tool's patches (setvars, runtime symbols)
/// already applied to its bytes. Bytes past `data.len` up to `mem_size` are zero.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Segment {
    pub vaddr: u64,
    pub mem_size: u64,
    pub data: Span,
    pub perms: u32,
    pub _pad: u32,
}

/// `Region::flags`: the region must sit at `phys_addr`.
pub const REGION_FIXED: u32 = 1 << 0;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Region {
    pub name: Span,
    pub size: u64,
    pub page_size: u64,
    pub phys_addr: u64,
    /// Bytes the monitor copies to the region's start (`prefill_path`); empty
    /// for none. The rest of the region stays zero.
    pub prefill: Span,
    pub flags: u32,
    pub _pad: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Map {
    pub vaddr: u64,
    pub region: u32,
    pub perms: u32,
    /// 1 cached (normal memory), 0 uncached (device memory).
    pub cached: u32,
    pub _pad: u32,
}

/// `Irq::trigger` values.
pub const TRIGGER_LEVEL: u32 = 0;
pub const TRIGGER_EDGE: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Irq {
    pub irq: u32,
    /// The PD's channel id for it.
    pub id: u32,
    pub trigger: u32,
    pub _pad: u32,
}

/// `End::flags`: what this end may do to its peer.
pub const END_NOTIFY: u32 = 1 << 0;
pub const END_PP: u32 = 1 << 1;

/// One PD's end of a channel.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct End {
    /// This PD's channel id.
    pub id: u32,
    /// The peer PD's index.
    pub peer: u32,
    /// The peer's id for the same channel (its badge bit).
    pub peer_id: u32,
    pub flags: u32,
}

/// A word in the PD's image to set to a region's physical address once the
/// monitor has placed the region (`<setvar region_paddr=...>`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct PaddrPatch {
    pub vaddr: u64,
    pub region: u32,
    pub _pad: u32,
}

const _: () = {
    use core::mem::size_of;
    assert!(size_of::<Header>() == 160);
    assert!(core::mem::offset_of!(Header, checksum) == CHECKSUM_OFFSET);
    assert!(core::mem::offset_of!(Header, total_size) == TOTAL_SIZE_OFFSET);
    assert!(size_of::<Pd>() == 88);
    assert!(size_of::<Segment>() == 40);
    assert!(size_of::<Region>() == 64);
    assert!(size_of::<Map>() == 24);
    assert!(size_of::<Irq>() == 16);
    assert!(size_of::<End>() == 16);
    assert!(size_of::<PaddrPatch>() == 16);
};
