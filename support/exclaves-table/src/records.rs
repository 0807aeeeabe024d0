//! The table's records, `#[repr(C)]` with explicit padding (zerocopy refuses
//! hidden bytes), little-endian on both sides (host and AArch64).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// A name inline in its record: `len` bytes of UTF-8, the rest zero. Inline
/// names keep every record self-contained: no string area to bound-check.
#[repr(C)]
// `Unaligned` lets the parser hand out `&str`s straight from the blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct Name {
    pub len: u8,
    pub bytes: [u8; 127],
}

/// Where one table lies: `count` records from byte `offset` of the blob.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct TablePlace {
    pub offset: u32,
    pub count: u32,
}

/// Records `first .. first + count` of the resource table.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Run {
    pub first: u32,
    pub count: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Header {
    pub magic: [u8; 8],
    pub version: u32,
    /// `size_of::<Header>()` of the writer; a reader refuses any other.
    pub header_size: u32,
    /// The whole blob, header included.
    pub total_size: u32,
    pub _pad: u32,
    /// FNV-1a over every byte after the header.
    pub checksum: u64,
    pub domains: TablePlace,
    pub resources: TablePlace,
    pub entitlements: TablePlace,
}

/// Where `Header::total_size` and `Header::checksum` lie (`seal` writes them).
pub const TOTAL_SIZE_OFFSET: usize = 16;
pub const CHECKSUM_OFFSET: usize = 24;

/// One domain (`kernel`, `darwin`, `conclave.<name>`) and its resources.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct DomainRecord {
    pub name: Name,
    pub resources: Run,
}

/// `ResourceRecord::flags`: lookups see the resource.
pub const RESOURCE_CONNECTED: u32 = 1 << 0;

/// One resource. The backing fields a type does not use are zero.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct ResourceRecord {
    pub name: Name,
    pub id: u64,
    /// SHARED_MEMORY, ARBITRATED_AUDIO_MEMORY: where XNU has the region mapped.
    pub vaddr: u64,
    pub size: u64,
    /// `ResourceType` as a number.
    pub kind: u32,
    /// Index of the domain whose run holds this record.
    pub domain: u32,
    /// SERVICE, CONCLAVE_MANAGER, NOTIFICATION: XNU's end id of the channel.
    pub channel: u32,
    /// `BufferPerms` bits (SHARED_MEMORY, ARBITRATED_AUDIO_MEMORY).
    pub perms: u32,
    /// `SensorKind` as a number (SENSOR).
    pub sensor: u32,
    pub flags: u32,
}

/// One program's entitlements (`Entitlements` bits).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct EntitlementRecord {
    pub program: Name,
    pub flags: u32,
    pub _pad: u32,
}

const _: () = {
    use core::mem::size_of;
    assert!(size_of::<Name>() == 128);
    assert!(size_of::<Header>() == 56);
    assert!(core::mem::offset_of!(Header, total_size) == TOTAL_SIZE_OFFSET);
    assert!(core::mem::offset_of!(Header, checksum) == CHECKSUM_OFFSET);
    assert!(size_of::<DomainRecord>() == 136);
    assert!(size_of::<ResourceRecord>() == 176);
    assert!(size_of::<EntitlementRecord>() == 136);
};
