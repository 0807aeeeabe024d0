//! The system spec: what `microkit-tool build` writes and the monitor reads.
//!
//! A spec is one byte blob: a [`Header`] (magic, version, checksum, where each
//! table lies) followed by tables of fixed-size records and a data area
//! (names, program segment bytes, region prefills). Every record is `#[repr(C)]` with explicit
//! padding and read with `zerocopy`, so the tool (host, little-endian x86-64 or
//! AArch64) and the monitor (AArch64) agree on the bytes without a serializer.
//!
//! The monitor treats the blob as untrusted input: [`Spec::parse`] checks the
//! magic, version, size, checksum, every table's bounds and every index before
//! anything is handed out, so later code can index without further checks.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

pub mod abi;
mod parse;
mod records;
#[cfg(feature = "std")]
mod write;

pub use parse::{seal, Spec, SpecError};
pub use records::*;
#[cfg(feature = "std")]
pub use write::{PdDesc, SegmentDesc, SpecBuilder};

/// First bytes of every spec.
pub const MAGIC: [u8; 8] = *b"SEL4SPEC";
/// Bumped whenever a record's layout or meaning changes.
pub const VERSION: u32 = 2;

/// FNV-1a (64-bit) over `bytes`, continuing from `hash`. Cheap enough for the
/// monitor to run over a few MiB at boot; it catches truncation and stray
/// writes, not an attacker (the image is trusted once the loader runs it).
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// FNV-1a's starting value.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
