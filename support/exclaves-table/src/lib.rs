//! The exclaves resource table: what `exclaves-manifest build` writes from the
//! manifests and `system.xml`, and what XNU reads at boot (EXCLAVECORE).
//!
//! One byte blob: a [`Header`] (magic, version, checksum over every byte after
//! the header, where each table lies; the header's own fields are each checked
//! by value, so the checksum need not cover them), then three tables of fixed-size
//! `zerocopy` records: domains, resources, entitlements. The writer sorts
//! domains by name, each domain's resources by (name, type) and entitlements by
//! program name, and [`Table::parse`] insists on that order, so the two-level
//! lookup XNU wants (root by domain, then (name, type) within it) is two binary
//! searches over the blob itself: the parser needs no heap and no `alloc`.
//! Only the writer (feature `std`, on by default) allocates.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

mod kinds;
mod parse;
mod records;
#[cfg(feature = "std")]
mod write;

pub use kinds::{Backing, BufferPerms, Entitlements, ResourceType, SensorKind};
pub use parse::{seal, Domain, Resource, Table, TableError};
pub use records::*;
#[cfg(feature = "std")]
pub use write::{TableBuilder, WriteError};

/// First bytes of every table.
pub const MAGIC: [u8; 8] = *b"EXCLTABL";
/// Bumped whenever a record's layout or meaning changes.
pub const VERSION: u32 = 1;
/// Longest resource, domain or program name, in bytes (EXCLAVES.md).
pub const MAX_NAME_LEN: usize = 127;
/// SERVICE ids are endpoint ids below this (EXCLAVES.md: id < 192).
pub const MAX_SERVICE_ID: u64 = 192;
/// Highest channel id a PD has (SDF.md).
pub const MAX_CHANNEL_ID: u32 = 61;
/// Bounds the parser's per-domain id check (quadratic in a domain's size).
pub const MAX_RESOURCES: u32 = 4096;
/// XNU maps buffers on 4 KiB pages.
pub const PAGE_SIZE: u64 = 0x1000;

/// FNV-1a (64-bit) over `bytes`: catches truncation and stray writes, not an
/// attacker (the table is part of the image the loader trusts).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
