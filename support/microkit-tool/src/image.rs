//! The root-task image the loader boots: the monitor's loadable segments plus
//! one more read-only segment holding the spec, with the monitor's
//! `MONITOR_SPEC_LOCATION` symbol patched to say where that segment is.
//!
//! The output is a minimal ELF64 executable (header, program headers,
//! segment bytes): the loader reads nothing else. Debuggers use the
//! monitor's own ELF, whose addresses are unchanged.

use crate::build::BuildError;
use crate::elf::{Piece, Program};
use crate::layout::USER_TOP;

/// The monitor's symbol: `[vaddr, len]` of the spec, two little-endian words.
pub const SPEC_LOCATION_SYMBOL: &str = "MONITOR_SPEC_LOCATION";

const PAGE: u64 = 0x1000;
const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;

pub fn root_task_image(monitor_elf: &[u8], spec: &[u8]) -> Result<Vec<u8>, BuildError> {
    let mut monitor = Program::read(monitor_elf).map_err(BuildError::Monitor)?;
    // A guard page between the monitor's memory and the spec; above the spec,
    // seL4 puts the root task's IPC buffer and bootinfo pages.
    let room = |end: u64| -> Option<u64> {
        let spec_vaddr = end.checked_next_multiple_of(PAGE)?.checked_add(PAGE)?;
        let top = spec_vaddr.checked_add(spec.len() as u64)?.checked_next_multiple_of(PAGE)?.checked_add(2 * PAGE)?;
        (top <= USER_TOP).then_some(spec_vaddr)
    };
    let Some(spec_vaddr) = room(monitor.end()) else {
        return Err(BuildError::Monitor(format!(
            "its memory ends at {:#x}: no room below {USER_TOP:#x} for the spec ({} bytes) and the root task's IPC buffer and bootinfo",
            monitor.end(),
            spec.len()
        )));
    };
    let location: Vec<u8> = [spec_vaddr, spec.len() as u64].iter().flat_map(|w| w.to_le_bytes()).collect();
    monitor
        .patch_symbol(SPEC_LOCATION_SYMBOL, &location)
        .map_err(|e| BuildError::Monitor(format!("symbol {SPEC_LOCATION_SYMBOL}: {e:?}")))?;

    let mut segments: Vec<Piece> = monitor.segments.iter().flat_map(|s| s.pieces()).collect();
    segments.push(Piece { vaddr: spec_vaddr, mem_size: spec.len() as u64, flags: object::elf::PF_R, bytes: spec });
    if segments.len() >= usize::from(u16::MAX) {
        return Err(BuildError::Monitor(format!("{} segments do not fit an ELF header", segments.len())));
    }
    Ok(write_elf(monitor.entry, &segments))
}

/// ELF64 little-endian AArch64 executable with one PT_LOAD per piece. Each
/// piece's file offset is congruent to its vaddr modulo the page size, as
/// loaders expect.
fn write_elf(entry: u64, segments: &[Piece]) -> Vec<u8> {
    let phnum = segments.len() as u64;
    let mut offsets = Vec::with_capacity(segments.len());
    let mut offset = EHDR_SIZE + phnum * PHDR_SIZE;
    for p in segments {
        offset = offset.next_multiple_of(PAGE) + p.vaddr % PAGE;
        offsets.push(offset);
        offset += p.bytes.len() as u64;
    }
    let mut out = Vec::with_capacity(offset as usize);
    out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&object::elf::ET_EXEC.to_le_bytes());
    out.extend_from_slice(&object::elf::EM_AARCH64.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    out.extend_from_slice(&entry.to_le_bytes());
    out.extend_from_slice(&EHDR_SIZE.to_le_bytes()); // e_phoff
    out.extend_from_slice(&0u64.to_le_bytes()); // e_shoff: no sections
    out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for half in [EHDR_SIZE as u16, PHDR_SIZE as u16, phnum as u16, 64, 0, 0] {
        out.extend_from_slice(&half.to_le_bytes());
    }
    for (p, &file_offset) in segments.iter().zip(&offsets) {
        out.extend_from_slice(&object::elf::PT_LOAD.to_le_bytes());
        out.extend_from_slice(&p.flags.to_le_bytes());
        for word in [file_offset, p.vaddr, p.vaddr, p.bytes.len() as u64, p.mem_size, PAGE] {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    for (p, &file_offset) in segments.iter().zip(&offsets) {
        out.resize(file_offset as usize, 0);
        out.extend_from_slice(p.bytes);
    }
    out
}
