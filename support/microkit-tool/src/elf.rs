//! What the checks and the image writer need from an ELF: its loadable
//! segments (with their bytes, for the writer) and its symbols, and writing
//! values over symbols.
//!
//! A program the tool accepts has at least one loadable segment and no two
//! segments sharing a byte; a PD's program also has a symbol table. Writes past a segment's
//! file bytes (a symbol in `.bss`) are kept apart from those bytes, so a
//! symbol far into a large `.bss` costs its own size, not the gap before it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSymbol};

use crate::layout;

/// Finds `image` in the search paths, then in `fallback` (the system file's directory).
pub fn find_image(image: &str, search_paths: &[PathBuf], fallback: &Path) -> Option<PathBuf> {
    search_paths
        .iter()
        .map(PathBuf::as_path)
        .chain(std::iter::once(fallback))
        .map(|dir| dir.join(image))
        .find(|p| p.is_file())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol {
    pub vaddr: u64,
    pub size: u64,
}

/// Why a symbol cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymbolError {
    Missing,
    /// More than one symbol has the name: which one would be meant is unclear.
    Duplicate,
    /// The symbol is not `expected` bytes long.
    Size { size: u64, expected: u64 },
    /// The symbol's bytes are not all inside one loadable segment.
    OutsideSegments,
}

/// A loadable ELF as the image writer needs it: entry, segments with their
/// file bytes, and symbols, so symbols can be patched in place.
#[derive(Debug, Clone)]
pub struct Program {
    pub entry: u64,
    /// Sorted by address; no two share a byte.
    pub segments: Vec<ProgramSegment>,
    symbols: HashMap<String, Symbol>,
    duplicates: HashSet<String>,
    has_symbol_table: bool,
}

#[derive(Debug, Clone)]
pub struct ProgramSegment {
    pub vaddr: u64,
    pub mem_size: u64,
    /// PF_X / PF_W / PF_R bits of the program header.
    pub flags: u32,
    /// The file part, with the writes that fall inside it (or straddle its end).
    pub data: Vec<u8>,
    /// Writes wholly past `data`, by offset in the segment; disjoint, none adjacent.
    beyond: BTreeMap<u64, Vec<u8>>,
}

/// One stretch of a segment as the spec and the image writer carry it:
/// `bytes` at `vaddr`, then zeros up to `mem_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece<'a> {
    pub vaddr: u64,
    pub mem_size: u64,
    pub flags: u32,
    pub bytes: &'a [u8],
}

impl ProgramSegment {
    pub fn end(&self) -> u64 {
        // `Program::read` checked that this does not wrap.
        self.vaddr + self.mem_size
    }

    /// The segment as disjoint pieces in address order: the file bytes with
    /// the zeros after them, split around each write past the file bytes.
    pub fn pieces(&self) -> Vec<Piece<'_>> {
        let mut pieces = Vec::with_capacity(1 + 2 * self.beyond.len());
        let piece = |offset: u64, mem_size: u64, bytes| Piece { vaddr: self.vaddr + offset, mem_size, flags: self.flags, bytes };
        let (mut at, mut bytes) = (0, self.data.as_slice());
        for (&offset, written) in &self.beyond {
            pieces.push(piece(at, offset - at, bytes));
            pieces.push(piece(offset, written.len() as u64, written.as_slice()));
            at = offset + written.len() as u64;
            bytes = &[];
        }
        pieces.push(piece(at, self.mem_size - at, bytes));
        pieces.retain(|p| p.mem_size > 0);
        pieces
    }

    /// Writes `value` at `offset`, which with `value` lies inside the segment.
    fn write(&mut self, offset: u64, value: &[u8]) {
        let end = offset + value.len() as u64;
        if offset <= self.data.len() as u64 {
            // Inside the file bytes, or straddling their end: grow them by at
            // most `value`'s length, then take in the writes now covered.
            if (self.data.len() as u64) < end {
                self.data.resize(end as usize, 0);
            }
            self.data[offset as usize..end as usize].copy_from_slice(value);
            while let Some(entry) = self.beyond.first_entry().filter(|e| *e.key() <= self.data.len() as u64) {
                let (at, bytes) = entry.remove_entry();
                let merged_end = (at as usize + bytes.len()).max(self.data.len());
                self.data.resize(merged_end, 0);
                // Bytes written just now win over older ones.
                for (i, b) in bytes.iter().enumerate() {
                    let pos = at as usize + i;
                    if !(offset as usize..end as usize).contains(&pos) {
                        self.data[pos] = *b;
                    }
                }
            }
            return;
        }
        // Merge with every earlier write it overlaps or touches.
        let touching: Vec<u64> = self
            .beyond
            .range(..=end)
            .filter(|(&at, bytes)| at + bytes.len() as u64 >= offset)
            .map(|(&at, _)| at)
            .collect();
        let start = touching.first().map_or(offset, |&at| at.min(offset));
        let mut merged_end = end;
        let mut old = Vec::new();
        for at in touching {
            if let Some(bytes) = self.beyond.remove(&at) {
                merged_end = merged_end.max(at + bytes.len() as u64);
                old.push((at, bytes));
            }
        }
        let mut merged = vec![0; (merged_end - start) as usize];
        for (at, bytes) in old {
            let from = (at - start) as usize;
            merged[from..from + bytes.len()].copy_from_slice(&bytes);
        }
        let from = (offset - start) as usize;
        merged[from..from + value.len()].copy_from_slice(value);
        self.beyond.insert(start, merged);
    }
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
            let (vaddr, mem_size) = (ph.p_vaddr(endian), ph.p_memsz(endian));
            if data.len() as u64 > mem_size {
                return Err("a segment's file size exceeds its memory size".into());
            }
            if vaddr.checked_add(mem_size).is_none_or(|end| end > layout::USER_TOP) {
                return Err(format!("a loadable segment at {vaddr:#x} ({mem_size:#x} bytes) ends above user space ({:#x})", layout::USER_TOP));
            }
            segments.push(ProgramSegment { vaddr, mem_size, flags: ph.p_flags(endian), data: data.to_vec(), beyond: BTreeMap::new() });
        }
        if segments.is_empty() {
            return Err("it has no loadable segment".into());
        }
        segments.sort_unstable_by_key(|s| s.vaddr);
        for pair in segments.windows(2) {
            if pair[1].vaddr < pair[0].end() {
                return Err(format!(
                    "loadable segments [{:#x}..{:#x}) and [{:#x}..{:#x}) overlap",
                    pair[0].vaddr,
                    pair[0].end(),
                    pair[1].vaddr,
                    pair[1].end()
                ));
            }
        }
        let mut symbols = HashMap::new();
        let mut duplicates = HashSet::new();
        for s in file.symbols() {
            let Ok(name) = s.name() else { continue };
            if name.is_empty() {
                continue;
            }
            if symbols.insert(name.to_string(), Symbol { vaddr: s.address(), size: s.size() }).is_some() {
                duplicates.insert(name.to_string());
            }
        }
        let has_symbol_table = file.symbol_table().is_some();
        Ok(Program { entry: file.elf_header().e_entry(endian), segments, symbols, duplicates, has_symbol_table })
    }

    /// A PD's program: one the runtime's symbols can be found in.
    pub fn read_pd_image(bytes: &[u8]) -> Result<Program, String> {
        Program::read(bytes).and_then(|p| if p.has_symbol_table { Ok(p) } else { Err("it has no symbol table".into()) })
    }

    /// The highest address the program's memory reaches.
    pub fn end(&self) -> u64 {
        self.segments.last().map_or(0, ProgramSegment::end)
    }

    /// `[start, end)` of each segment, widened to whole pages, in address order.
    pub fn page_ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.segments.iter().map(|s| {
            let end = s.end().next_multiple_of(layout::PAGE_SIZE);
            (s.vaddr - s.vaddr % layout::PAGE_SIZE, end)
        })
    }

    /// The first segment (in whole pages) overlapping `[start, end)`.
    pub fn overlapping_pages(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        self.page_ranges().find(|&(seg_start, seg_end)| seg_start < end && start < seg_end)
    }

    /// The symbol `name`, if it names exactly one symbol lying inside one segment.
    pub fn symbol(&self, name: &str) -> Result<Symbol, SymbolError> {
        let symbol = *self.symbols.get(name).ok_or(SymbolError::Missing)?;
        if self.duplicates.contains(name) {
            return Err(SymbolError::Duplicate);
        }
        self.segment_of(symbol.vaddr, symbol.size).ok_or(SymbolError::OutsideSegments)?;
        Ok(symbol)
    }

    pub fn has_symbol(&self, name: &str) -> bool {
        self.symbols.contains_key(name)
    }

    /// Writes `value` over `name`, which must be exactly as long as `value`.
    pub fn patch_symbol(&mut self, name: &str, value: &[u8]) -> Result<(), SymbolError> {
        let symbol = self.symbol(name)?;
        if symbol.size != value.len() as u64 {
            return Err(SymbolError::Size { size: symbol.size, expected: value.len() as u64 });
        }
        self.patch_prefix(name, value)
    }

    /// Writes `value` over the start of `name`, which must be at least as long.
    pub fn patch_prefix(&mut self, name: &str, value: &[u8]) -> Result<(), SymbolError> {
        let symbol = self.symbol(name)?;
        if symbol.size < value.len() as u64 {
            return Err(SymbolError::Size { size: symbol.size, expected: value.len() as u64 });
        }
        let index = self.segment_of(symbol.vaddr, value.len() as u64).ok_or(SymbolError::OutsideSegments)?;
        let segment = &mut self.segments[index];
        segment.write(symbol.vaddr - segment.vaddr, value);
        Ok(())
    }

    /// The index of the segment holding all of `[vaddr, vaddr + len)`.
    fn segment_of(&self, vaddr: u64, len: u64) -> Option<usize> {
        let end = vaddr.checked_add(len)?;
        let i = self.segments.partition_point(|s| s.end() <= vaddr);
        self.segments.get(i).filter(|s| s.vaddr <= vaddr && end <= s.end()).map(|_| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(data: &[u8], mem_size: u64) -> ProgramSegment {
        ProgramSegment { vaddr: 0x1000, mem_size, flags: 6, data: data.to_vec(), beyond: BTreeMap::new() }
    }

    /// The segment's memory as the monitor would build it from its pieces.
    fn memory(s: &ProgramSegment) -> Vec<u8> {
        let mut mem = vec![0u8; s.mem_size as usize];
        let mut covered = 0;
        for p in s.pieces() {
            assert_eq!(p.vaddr, s.vaddr + covered, "pieces are contiguous and in order");
            let at = (p.vaddr - s.vaddr) as usize;
            mem[at..at + p.bytes.len()].copy_from_slice(p.bytes);
            covered += p.mem_size;
        }
        assert_eq!(covered, s.mem_size);
        mem
    }

    #[test]
    fn a_write_deep_in_bss_stays_small() {
        let mut s = segment(&[1, 2, 3, 4], 1 << 40);
        s.write(1 << 39, &[9; 8]);
        assert_eq!(s.data.len(), 4);
        let pieces = s.pieces();
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[1], Piece { vaddr: 0x1000 + (1 << 39), mem_size: 8, flags: 6, bytes: &[9; 8] });
    }

    #[test]
    fn writes_merge_and_the_last_wins() {
        let mut s = segment(&[1, 2, 3, 4], 64);
        s.write(20, &[5; 4]);
        s.write(22, &[6; 4]);
        s.write(26, &[7; 2]);
        s.write(2, &[8; 4]);
        // Straddles the file end and reaches the first write past it.
        s.write(6, &[9; 16]);
        let mut want = vec![0u8; 64];
        want[..4].copy_from_slice(&[1, 2, 3, 4]);
        want[20..24].copy_from_slice(&[5; 4]);
        want[22..26].copy_from_slice(&[6; 4]);
        want[26..28].copy_from_slice(&[7; 2]);
        want[2..6].copy_from_slice(&[8; 4]);
        want[6..22].copy_from_slice(&[9; 16]);
        assert_eq!(memory(&s), want);
    }
}
