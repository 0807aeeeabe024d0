//! What the checks and the image writer need from an ELF: its loadable
//! segments (with their bytes, for the writer) and its symbols.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSymbol};

use crate::layout;

#[derive(Debug, Clone, Default)]
pub struct ElfInfo {
    /// `[start, end)` of each PT_LOAD segment, page-rounded, sorted by start.
    pub segments: Vec<(u64, u64)>,
    pub symbols: HashMap<String, u64>,
}

impl ElfInfo {
    pub fn read(bytes: &[u8]) -> Result<ElfInfo, String> {
        let program = Program::read(bytes)?;
        let mut segments = Vec::with_capacity(program.segments.len());
        for s in &program.segments {
            let start = s.vaddr & !(layout::PAGE_SIZE - 1);
            let end = s
                .vaddr
                .checked_add(s.mem_size)
                .and_then(|e| e.checked_next_multiple_of(layout::PAGE_SIZE))
                .ok_or("a loadable segment wraps the address space")?;
            segments.push((start, end));
        }
        segments.sort_unstable();
        let symbols = program.symbols.into_iter().map(|(name, (_, size))| (name, size)).collect();
        Ok(ElfInfo { segments, symbols })
    }

    /// The first segment overlapping `[start, end)`, found by binary search.
    pub fn overlapping_segment(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        // Segments of one ELF do not overlap each other, so ends are sorted too.
        let i = self.segments.partition_point(|&(_, seg_end)| seg_end <= start);
        self.segments.get(i).copied().filter(|&(seg_start, _)| seg_start < end)
    }
}

/// Finds `image` in the search paths, then in `fallback` (the system file's directory).
pub fn find_image(image: &str, search_paths: &[PathBuf], fallback: &Path) -> Option<PathBuf> {
    search_paths
        .iter()
        .map(PathBuf::as_path)
        .chain(std::iter::once(fallback))
        .map(|dir| dir.join(image))
        .find(|p| p.is_file())
}

/// A loadable ELF as the image writer needs it: entry, segments with their
/// file bytes, and symbol addresses, so symbols can be patched in place.
#[derive(Debug, Clone)]
pub struct Program {
    pub entry: u64,
    pub segments: Vec<ProgramSegment>,
    /// name -> (vaddr, size)
    pub symbols: HashMap<String, (u64, u64)>,
}

#[derive(Debug, Clone)]
pub struct ProgramSegment {
    pub vaddr: u64,
    pub mem_size: u64,
    /// PF_X / PF_W / PF_R bits of the program header.
    pub flags: u32,
    /// The file part; patches may grow it (up to `mem_size`) with zeros.
    pub data: Vec<u8>,
}

impl Program {
    pub fn read(bytes: &[u8]) -> Result<Program, String> {
        let file = ElfFile64::<Endianness>::parse(bytes).map_err(|e| e.to_string())?;
        if file.elf_header().e_machine(file.endian()) != object::elf::EM_AARCH64 {
            return Err("not an AArch64 ELF".into());
        }
        let endian = file.endian();
        let headers = file.elf_header().program_headers(endian, bytes).map_err(|e| e.to_string())?;
        let mut segments = Vec::new();
        for ph in headers {
            if ph.p_type(endian) != object::elf::PT_LOAD || ph.p_memsz(endian) == 0 {
                continue;
            }
            let data = ph.data(endian, bytes).map_err(|()| "a segment's bytes lie outside the file")?;
            if data.len() as u64 > ph.p_memsz(endian) {
                return Err("a segment's file size exceeds its memory size".into());
            }
            segments.push(ProgramSegment {
                vaddr: ph.p_vaddr(endian),
                mem_size: ph.p_memsz(endian),
                flags: ph.p_flags(endian),
                data: data.to_vec(),
            });
        }
        let symbols = file
            .symbols()
            .filter_map(|s| Some((s.name().ok()?.to_string(), (s.address(), s.size()))))
            .filter(|(name, _)| !name.is_empty())
            .collect();
        Ok(Program { entry: file.elf_header().e_entry(endian), segments, symbols })
    }

    /// Writes `value` over `symbol`, which must be exactly as long as `value`.
    pub fn patch_symbol(&mut self, symbol: &str, value: &[u8]) -> Result<(), String> {
        let &(vaddr, size) = self.symbols.get(symbol).ok_or_else(|| format!("symbol '{symbol}' not found"))?;
        if size != value.len() as u64 {
            return Err(format!("symbol '{symbol}' is {size} bytes, expected {}", value.len()));
        }
        self.patch(vaddr, value).map_err(|e| format!("symbol '{symbol}': {e}"))
    }

    /// Writes `value` at `vaddr` inside one segment, growing its file part.
    pub fn patch(&mut self, vaddr: u64, value: &[u8]) -> Result<(), String> {
        let end = vaddr.checked_add(value.len() as u64).ok_or("address wraps")?;
        let seg = self
            .segments
            .iter_mut()
            .find(|s| s.vaddr <= vaddr && end <= s.vaddr + s.mem_size)
            .ok_or_else(|| format!("{vaddr:#x} is not inside one loadable segment"))?;
        let (start, end) = ((vaddr - seg.vaddr) as usize, (end - seg.vaddr) as usize);
        if seg.data.len() < end {
            seg.data.resize(end, 0);
        }
        seg.data[start..end].copy_from_slice(value);
        Ok(())
    }
}
