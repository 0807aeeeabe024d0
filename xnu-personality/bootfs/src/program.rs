//! The checks a boot-filesystem program passes before XNU loads it: a
//! 64-bit little-endian AArch64 executable whose loadable segments each lie
//! in the task region of their permissions (`xnu_abi::layout`), with its
//! entry in the text region. Every header and segment is bounds-checked
//! here, so a bad program is refused, never read past.
use xnu_abi::layout::{Region, DATA, RODATA, TEXT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramError {
    /// Not a 64-bit little-endian AArch64 executable, or a header or
    /// segment outside the file.
    NotExecutable(&'static str),
    /// A loadable segment whose permissions have no region, or that does
    /// not fit in its region.
    BadSegment { vaddr: u64, flags: u32 },
    /// More loadable segments than `MAX_SEGMENTS`.
    TooManySegments,
    /// The entry point is outside the text region.
    BadEntry(u64),
}

/// Loadable segments a program may have (ours have three).
pub const MAX_SEGMENTS: usize = 8;

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const PHDR_BYTES: usize = 56;

fn bytes_at(b: &[u8], at: usize, n: usize) -> Option<&[u8]> {
    b.get(at..at.checked_add(n)?)
}
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at, 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at, 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = bytes_at(b, at, 8)?;
    let mut w = [0; 8];
    w.copy_from_slice(s);
    Some(u64::from_le_bytes(w))
}

/// One loadable segment: its bytes go at `vaddr`, the rest of its memory
/// size is zero (bss).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    pub vaddr: u64,
    pub memsz: u64,
    pub data: &'a [u8],
}

/// A checked program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program<'a> {
    pub entry: u64,
    segments: [Option<Segment<'a>>; MAX_SEGMENTS],
}

impl<'a> Program<'a> {
    pub fn segments(&self) -> impl Iterator<Item = &Segment<'a>> {
        self.segments.iter().flatten()
    }
}

/// The region a segment of these permissions belongs in.
fn region_for(flags: u32) -> Option<Region> {
    match flags & (PF_R | PF_W | PF_X) {
        f if f == PF_R | PF_X => Some(TEXT),
        PF_R => Some(RODATA),
        f if f == PF_R | PF_W => Some(DATA),
        _ => None,
    }
}

pub fn parse(image: &[u8]) -> Result<Program<'_>, ProgramError> {
    let not = ProgramError::NotExecutable;
    if bytes_at(image, 0, 4) != Some(b"\x7fELF") {
        return Err(not("no ELF magic"));
    }
    // EI_CLASS 2 (64-bit), EI_DATA 1 (little-endian).
    if image.get(4) != Some(&2) || image.get(5) != Some(&1) {
        return Err(not("not a 64-bit little-endian ELF"));
    }
    if u16_at(image, 16) != Some(ET_EXEC) || u16_at(image, 18) != Some(EM_AARCH64) {
        return Err(not("not an AArch64 executable"));
    }
    let entry = u64_at(image, 24).ok_or(not("short header"))?;
    let phoff = u64_at(image, 32).ok_or(not("short header"))?;
    let phentsize = u16_at(image, 54).ok_or(not("short header"))?;
    let phnum = u16_at(image, 56).ok_or(not("short header"))?;
    if usize::from(phentsize) != PHDR_BYTES {
        return Err(not("unexpected program header size"));
    }
    let mut segments = [None; MAX_SEGMENTS];
    let mut count = 0;
    for i in 0..usize::from(phnum) {
        let at = usize::try_from(phoff)
            .ok()
            .and_then(|o| o.checked_add(i * PHDR_BYTES))
            .ok_or(not("program headers outside the file"))?;
        let ph = bytes_at(image, at, PHDR_BYTES).ok_or(not("program headers outside the file"))?;
        let word = |o: usize| u64_at(ph, o).unwrap_or(0);
        if u32_at(ph, 0) != Some(PT_LOAD) {
            continue;
        }
        let flags = u32_at(ph, 4).unwrap_or(0);
        let (offset, vaddr, filesz, memsz) = (word(8), word(16), word(32), word(40));
        let bad = ProgramError::BadSegment { vaddr, flags };
        let region = region_for(flags).ok_or(bad)?;
        let end = vaddr.checked_add(memsz).ok_or(bad)?;
        if filesz > memsz || vaddr < region.base || end > region.end() {
            return Err(bad);
        }
        let data = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(filesz).ok())
            .and_then(|(o, n)| bytes_at(image, o, n))
            .ok_or(not("segment data outside the file"))?;
        *segments.get_mut(count).ok_or(ProgramError::TooManySegments)? = Some(Segment { vaddr, memsz, data });
        count += 1;
    }
    if !(TEXT.base..TEXT.end()).contains(&entry) {
        return Err(ProgramError::BadEntry(entry));
    }
    Ok(Program { entry, segments })
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    /// A minimal executable: one header and `segments` (flags, vaddr, filesz, memsz).
    fn elf(entry: u64, segments: &[(u32, u64, u64, u64)]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        b[18..20].copy_from_slice(&EM_AARCH64.to_le_bytes());
        b[24..32].copy_from_slice(&entry.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&(PHDR_BYTES as u16).to_le_bytes());
        b[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        let data_at = 64 + segments.len() * PHDR_BYTES;
        for &(flags, vaddr, filesz, memsz) in segments {
            let mut ph = vec![0u8; PHDR_BYTES];
            ph[..4].copy_from_slice(&PT_LOAD.to_le_bytes());
            ph[4..8].copy_from_slice(&flags.to_le_bytes());
            ph[8..16].copy_from_slice(&(data_at as u64).to_le_bytes());
            ph[16..24].copy_from_slice(&vaddr.to_le_bytes());
            ph[32..40].copy_from_slice(&filesz.to_le_bytes());
            ph[40..48].copy_from_slice(&memsz.to_le_bytes());
            b.extend_from_slice(&ph);
        }
        b.extend_from_slice(&[0xaa; 64]);
        b
    }

    #[test]
    fn a_program_in_its_regions_parses() {
        let image = elf(TEXT.base, &[(PF_R | PF_X, TEXT.base, 16, 16), (PF_R, RODATA.base, 8, 8), (PF_R | PF_W, DATA.base, 4, 4096)]);
        let p = parse(&image).unwrap();
        assert_eq!(p.entry, TEXT.base);
        let segs: Vec<_> = p.segments().collect();
        assert_eq!(segs.len(), 3);
        assert_eq!((segs[2].vaddr, segs[2].memsz, segs[2].data.len()), (DATA.base, 4096, 4));
    }

    #[test]
    fn bad_programs_are_refused() {
        let rwx = elf(TEXT.base, &[(PF_R | PF_W | PF_X, TEXT.base, 16, 16)]);
        assert!(matches!(parse(&rwx), Err(ProgramError::BadSegment { .. })));
        let writable_text = elf(TEXT.base, &[(PF_R | PF_W, TEXT.base, 16, 16)]);
        assert!(matches!(parse(&writable_text), Err(ProgramError::BadSegment { .. })));
        let overflowing = elf(TEXT.base, &[(PF_R | PF_X, TEXT.base, 16, TEXT.size + 1)]);
        assert!(matches!(parse(&overflowing), Err(ProgramError::BadSegment { .. })));
        let wrapping = elf(TEXT.base, &[(PF_R | PF_X, u64::MAX - 4, 0, 16)]);
        assert!(matches!(parse(&wrapping), Err(ProgramError::BadSegment { .. })));
        let past_file = elf(TEXT.base, &[(PF_R | PF_X, TEXT.base, 4096, 4096)]);
        assert!(matches!(parse(&past_file), Err(ProgramError::NotExecutable(_))));
        let entry_in_data = elf(DATA.base, &[(PF_R | PF_X, TEXT.base, 16, 16)]);
        assert_eq!(parse(&entry_in_data), Err(ProgramError::BadEntry(DATA.base)));
        let many = elf(TEXT.base, &[(PF_R, RODATA.base, 1, 1); MAX_SEGMENTS + 1]);
        assert_eq!(parse(&many), Err(ProgramError::TooManySegments));
        assert!(parse(b"\x7fELF").is_err());
        assert!(parse(&[]).is_err());
    }
}
