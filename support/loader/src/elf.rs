//! A strict reader for the ELF64 images the loader boots.
//!
//! Every offset and size read from the file is checked against the file's
//! length before it is used: a truncated or corrupted image is an error,
//! never an out-of-bounds read or a jump into garbage.

use core::fmt;

const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfError {
    TooShort { len: usize },
    BadMagic,
    Not64Bit,
    NotLittleEndian,
    NotExecutable { e_type: u16 },
    WrongMachine { machine: u16 },
    BadProgramHeaderSize { size: u16 },
    ProgramHeadersOutOfBounds,
    SegmentOutOfBounds { index: usize },
    SegmentFileSizeExceedsMemSize { index: usize },
    SegmentAddressOverflow { index: usize },
    NoLoadableSegments,
    EntryOutsideSegments { entry: u64 },
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooShort { len } => write!(f, "only {len} bytes, shorter than an ELF64 header"),
            Self::BadMagic => write!(f, "not an ELF file (bad magic)"),
            Self::Not64Bit => write!(f, "not a 64-bit ELF file"),
            Self::NotLittleEndian => write!(f, "not a little-endian ELF file"),
            Self::NotExecutable { e_type } => write!(f, "ELF type {e_type} is not an executable"),
            Self::WrongMachine { machine } => {
                write!(f, "ELF machine {machine} is not AArch64 ({EM_AARCH64})")
            }
            Self::BadProgramHeaderSize { size } => {
                write!(f, "program header entry size {size}, expected {PHDR_SIZE}")
            }
            Self::ProgramHeadersOutOfBounds => write!(f, "program headers lie outside the file (truncated?)"),
            Self::SegmentOutOfBounds { index } => {
                write!(f, "segment {index} lies outside the file (truncated?)")
            }
            Self::SegmentFileSizeExceedsMemSize { index } => {
                write!(f, "segment {index} has a file size larger than its memory size")
            }
            Self::SegmentAddressOverflow { index } => {
                write!(f, "segment {index} wraps around the address space")
            }
            Self::NoLoadableSegments => write!(f, "no loadable segments"),
            Self::EntryOutsideSegments { entry } => {
                write!(f, "entry point {entry:#x} is not inside a loadable segment")
            }
        }
    }
}

/// One `PT_LOAD` segment: `data` is copied to the segment's address and the
/// rest up to `mem_size` is zeroed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    pub vaddr: u64,
    pub paddr: u64,
    pub mem_size: u64,
    pub data: &'a [u8],
}

impl Segment<'_> {
    pub fn vaddr_end(&self) -> u64 {
        self.vaddr + self.mem_size
    }

    pub fn paddr_end(&self) -> u64 {
        self.paddr + self.mem_size
    }
}

/// A checked AArch64 executable: `parse` has validated every loadable
/// segment, so iterating over them cannot fail.
#[derive(Debug, Clone, Copy)]
pub struct Elf<'a> {
    data: &'a [u8],
    entry: u64,
    phoff: usize,
    phnum: usize,
}

fn read_u16(data: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([data[off], data[off + 1]])
}

fn read_u32(data: &[u8], off: usize) -> u32 {
    let mut b = [0; 4];
    b.copy_from_slice(&data[off..off + 4]);
    u32::from_le_bytes(b)
}

fn read_u64(data: &[u8], off: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&data[off..off + 8]);
    u64::from_le_bytes(b)
}

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        if data.len() < EHDR_SIZE {
            return Err(ElfError::TooShort { len: data.len() });
        }
        if data[0..4] != *b"\x7fELF" {
            return Err(ElfError::BadMagic);
        }
        if data[4] != 2 {
            return Err(ElfError::Not64Bit);
        }
        if data[5] != 1 {
            return Err(ElfError::NotLittleEndian);
        }
        let e_type = read_u16(data, 16);
        if e_type != ET_EXEC {
            return Err(ElfError::NotExecutable { e_type });
        }
        let machine = read_u16(data, 18);
        if machine != EM_AARCH64 {
            return Err(ElfError::WrongMachine { machine });
        }
        let phentsize = read_u16(data, 54);
        if usize::from(phentsize) != PHDR_SIZE {
            return Err(ElfError::BadProgramHeaderSize { size: phentsize });
        }
        let phoff = usize::try_from(read_u64(data, 32)).map_err(|_| ElfError::ProgramHeadersOutOfBounds)?;
        let phnum = usize::from(read_u16(data, 56));
        let table_end = phnum
            .checked_mul(PHDR_SIZE)
            .and_then(|size| phoff.checked_add(size))
            .ok_or(ElfError::ProgramHeadersOutOfBounds)?;
        if table_end > data.len() {
            return Err(ElfError::ProgramHeadersOutOfBounds);
        }
        let elf = Elf { data, entry: read_u64(data, 24), phoff, phnum };
        elf.check_segments()?;
        Ok(elf)
    }

    fn check_segments(&self) -> Result<(), ElfError> {
        let mut loadable = 0;
        let mut entry_found = false;
        for index in 0..self.phnum {
            let ph = self.phoff + index * PHDR_SIZE;
            if read_u32(self.data, ph) != PT_LOAD {
                continue;
            }
            loadable += 1;
            let offset = read_u64(self.data, ph + 8);
            let vaddr = read_u64(self.data, ph + 16);
            let paddr = read_u64(self.data, ph + 24);
            let file_size = read_u64(self.data, ph + 32);
            let mem_size = read_u64(self.data, ph + 40);
            let file_end = offset.checked_add(file_size);
            if file_end.is_none_or(|end| end > self.data.len() as u64) {
                return Err(ElfError::SegmentOutOfBounds { index });
            }
            if file_size > mem_size {
                return Err(ElfError::SegmentFileSizeExceedsMemSize { index });
            }
            if vaddr.checked_add(mem_size).is_none() || paddr.checked_add(mem_size).is_none() {
                return Err(ElfError::SegmentAddressOverflow { index });
            }
            entry_found |= (vaddr..vaddr + mem_size).contains(&self.entry);
        }
        if loadable == 0 {
            return Err(ElfError::NoLoadableSegments);
        }
        if !entry_found {
            return Err(ElfError::EntryOutsideSegments { entry: self.entry });
        }
        Ok(())
    }

    pub fn entry(&self) -> u64 {
        self.entry
    }

    pub fn segments(&self) -> impl Iterator<Item = Segment<'a>> + '_ {
        (0..self.phnum)
            .map(move |index| self.phoff + index * PHDR_SIZE)
            .filter(move |&ph| read_u32(self.data, ph) == PT_LOAD)
            .map(move |ph| {
                // Bounds were checked in `parse`.
                let offset = read_u64(self.data, ph + 8) as usize;
                let file_size = read_u64(self.data, ph + 32) as usize;
                Segment {
                    vaddr: read_u64(self.data, ph + 16),
                    paddr: read_u64(self.data, ph + 24),
                    mem_size: read_u64(self.data, ph + 40),
                    data: &self.data[offset..offset + file_size],
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::{build, Seg};
    use std::vec;

    fn one_segment() -> std::vec::Vec<u8> {
        build(0x1000, &[Seg { vaddr: 0x1000, paddr: 0x1000, data: vec![0xaa; 16], mem_size: 0x2000 }])
    }

    #[test]
    fn reads_a_valid_image() {
        let image = one_segment();
        let elf = Elf::parse(&image).expect("valid image");
        assert_eq!(elf.entry(), 0x1000);
        let segs: std::vec::Vec<_> = elf.segments().collect();
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].data, &[0xaa; 16][..]);
        assert_eq!(segs[0].vaddr_end(), 0x3000);
    }

    #[test]
    fn rejects_every_truncation() {
        let image = one_segment();
        for len in 0..image.len() {
            assert!(Elf::parse(&image[..len]).is_err(), "accepted a {len}-byte prefix");
        }
    }

    #[test]
    fn rejects_wrong_machine() {
        let mut image = one_segment();
        image[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::WrongMachine { machine: 62 });
    }

    #[test]
    fn rejects_bad_magic_class_and_type() {
        let mut image = one_segment();
        image[1] = b'X';
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::BadMagic);
        let mut image = one_segment();
        image[4] = 1;
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::Not64Bit);
        let mut image = one_segment();
        image[16] = 3; // ET_DYN
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::NotExecutable { e_type: 3 });
    }

    #[test]
    fn rejects_segment_larger_in_file_than_in_memory() {
        let image = build(0x1000, &[Seg { vaddr: 0x1000, paddr: 0x1000, data: vec![1; 32], mem_size: 16 }]);
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::SegmentFileSizeExceedsMemSize { index: 0 });
    }

    #[test]
    fn rejects_wrapping_segment_and_stray_entry() {
        let image = build(u64::MAX - 8, &[Seg { vaddr: u64::MAX - 16, paddr: 0, data: vec![], mem_size: 32 }]);
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::SegmentAddressOverflow { index: 0 });
        let image = build(0x9000, &[Seg { vaddr: 0x1000, paddr: 0x1000, data: vec![], mem_size: 16 }]);
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::EntryOutsideSegments { entry: 0x9000 });
    }

    #[test]
    fn rejects_image_without_loadable_segments() {
        let image = build(0x1000, &[]);
        assert_eq!(Elf::parse(&image).unwrap_err(), ElfError::NoLoadableSegments);
    }
}
