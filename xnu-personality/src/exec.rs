//! Loading a program into a slot: its ELF segments into the regions of
//! their permissions, then argv on the stack. The boot filesystem is ours,
//! but its bytes are still checked before use: a bad program is ENOEXEC,
//! never a fault in XNU.
use alloc::vec::Vec;

use xnu_abi::layout::{Region, DATA, RODATA, TEXT};

use crate::vm::{SlotMemory, STACK_TOP};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecError {
    /// Not a 64-bit little-endian AArch64 executable, or a header or
    /// segment outside the file.
    NotExecutable(&'static str),
    /// A loadable segment whose permissions have no region, or that does
    /// not fit in its region.
    BadSegment { vaddr: u64, flags: u32 },
    /// The entry point is outside the text region.
    BadEntry(u64),
    /// The arguments do not fit on the stack.
    ArgsTooBig,
}

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const PHDR_BYTES: usize = 56;
/// Stack bytes argv may take (strings and pointers).
pub const MAX_ARG_BYTES: usize = xnu_abi::spawn::MAX_ARG_BYTES;

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

/// One PT_LOAD segment, checked against the file and its region.
struct Segment<'a> {
    vaddr: u64,
    data: &'a [u8],
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

/// The entry point and the segments of `image`.
fn parse(image: &[u8]) -> Result<(u64, Vec<Segment<'_>>), ExecError> {
    let not = ExecError::NotExecutable;
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
    let mut segments = Vec::new();
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
        let bad = ExecError::BadSegment { vaddr, flags };
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
        segments.push(Segment { vaddr, data });
    }
    if !(TEXT.base..TEXT.end()).contains(&entry) {
        return Err(ExecError::BadEntry(entry));
    }
    Ok((entry, segments))
}

/// Where a loaded program starts: pc, sp, and x0/x1 (argc, argv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    pub entry: u64,
    pub sp: u64,
    pub argc: u64,
    pub argv: u64,
}

/// Clears the slot, loads `image` and lays out `args` at the stack's top.
/// On an error the slot is left cleared.
pub fn load(mem: &SlotMemory, image: &[u8], args: &[Vec<u8>]) -> Result<Start, ExecError> {
    let (entry, segments) = parse(image)?;
    mem.clear();
    for s in &segments {
        // `parse` checked each segment fits its region; bss stays as cleared.
        mem.load(s.vaddr, s.data).ok_or(ExecError::BadSegment { vaddr: s.vaddr, flags: 0 })?;
    }
    let (sp, argv) = lay_out_args(mem, args)?;
    Ok(Start { entry, sp, argc: args.len() as u64, argv })
}

/// Strings at the top of the stack, the pointer array (NULL-terminated)
/// below them, sp 16-aligned below that.
fn lay_out_args(mem: &SlotMemory, args: &[Vec<u8>]) -> Result<(u64, u64), ExecError> {
    let strings: usize = args.iter().map(|a| a.len() + 1).sum();
    let pointers = (args.len() + 1) * 8;
    if strings + pointers > MAX_ARG_BYTES {
        return Err(ExecError::ArgsTooBig);
    }
    let mut at = STACK_TOP - strings as u64;
    let argv = (at - pointers as u64) & !15;
    for (i, a) in args.iter().enumerate() {
        mem.load(at, a).ok_or(ExecError::ArgsTooBig)?;
        mem.load(at + a.len() as u64, &[0]).ok_or(ExecError::ArgsTooBig)?;
        mem.load(argv + 8 * i as u64, &at.to_le_bytes()).ok_or(ExecError::ArgsTooBig)?;
        at += a.len() as u64 + 1;
    }
    // The terminating NULL pointer is already zero (the slot was cleared).
    Ok((argv, argv))
}
