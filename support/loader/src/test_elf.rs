//! Builds small ELF64 images in memory for the loader's unit tests.

use std::vec::Vec;

pub struct Seg {
    pub vaddr: u64,
    pub paddr: u64,
    pub data: Vec<u8>,
    pub mem_size: u64,
}

/// An AArch64 executable with the given entry point and `PT_LOAD` segments.
pub fn build(entry: u64, segs: &[Seg]) -> Vec<u8> {
    let phoff = 64u64;
    let data_start = phoff + 56 * segs.len() as u64;
    let mut out = Vec::new();
    out.extend_from_slice(b"\x7fELF");
    out.extend_from_slice(&[2, 1, 1, 0]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&entry.to_le_bytes());
    out.extend_from_slice(&phoff.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&64u16.to_le_bytes());
    out.extend_from_slice(&56u16.to_le_bytes());
    out.extend_from_slice(&(segs.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 6]);
    let mut offset = data_start;
    for seg in segs {
        out.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        out.extend_from_slice(&7u32.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&seg.vaddr.to_le_bytes());
        out.extend_from_slice(&seg.paddr.to_le_bytes());
        out.extend_from_slice(&(seg.data.len() as u64).to_le_bytes());
        out.extend_from_slice(&seg.mem_size.to_le_bytes());
        out.extend_from_slice(&0x1000u64.to_le_bytes());
        offset += seg.data.len() as u64;
    }
    for seg in segs {
        out.extend_from_slice(&seg.data);
    }
    out
}
