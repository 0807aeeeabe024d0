//! What the checks need from a PD's ELF: its loadable segments and symbol sizes.

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
        let file = ElfFile64::<Endianness>::parse(bytes).map_err(|e| e.to_string())?;
        let endian = file.endian();
        let headers = file.elf_header().program_headers(endian, bytes).map_err(|e| e.to_string())?;
        let mut segments = Vec::new();
        for ph in headers {
            if ph.p_type(endian) != object::elf::PT_LOAD || ph.p_memsz(endian) == 0 {
                continue;
            }
            let start = ph.p_vaddr(endian) & !(layout::PAGE_SIZE - 1);
            let end = ph
                .p_vaddr(endian)
                .checked_add(ph.p_memsz(endian))
                .and_then(|e| e.checked_next_multiple_of(layout::PAGE_SIZE))
                .ok_or("a loadable segment wraps the address space")?;
            segments.push((start, end));
        }
        segments.sort_unstable();
        let symbols = file
            .symbols()
            .filter_map(|s| Some((s.name().ok()?.to_string(), s.size())))
            .filter(|(name, _)| !name.is_empty())
            .collect();
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
