//! Loading a program into a slot: its checked segments
//! (`xnu_bootfs::program`) into the regions of their permissions, then argv
//! on the stack.
use alloc::vec::Vec;

use xnu_bootfs::program::{self, ProgramError};

use crate::vm::{SlotMemory, STACK_TOP};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecError {
    Program(ProgramError),
    /// A segment the slot could not take (the regions and the layout disagree).
    Load(u64),
    /// The arguments do not fit on the stack.
    ArgsTooBig,
}

/// Stack bytes argv may take (strings and pointers).
pub const MAX_ARG_BYTES: usize = xnu_abi::spawn::MAX_ARG_BYTES;

/// Where a loaded program starts: pc, sp, and x0/x1 (argc, argv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    pub entry: u64,
    pub sp: u64,
    pub argc: u64,
    pub argv: u64,
}

/// Checks `image`, then clears the slot, loads the image and lays out
/// `args` at the stack's top. A bad image leaves the slot as it was (no
/// task runs there); bad arguments leave it cleared.
pub fn load(mem: &mut SlotMemory, image: &[u8], args: &[Vec<u8>]) -> Result<Start, ExecError> {
    let program = program::parse(image).map_err(ExecError::Program)?;
    mem.clear();
    for s in program.segments() {
        // `parse` checked each segment fits its region; bss stays as cleared.
        mem.load(s.vaddr, s.data).ok_or(ExecError::Load(s.vaddr))?;
    }
    let (sp, argv) = lay_out_args(mem, args)?;
    Ok(Start { entry: program.entry, sp, argc: args.len() as u64, argv })
}

/// Strings at the top of the stack, the pointer array (NULL-terminated)
/// below them, sp 16-aligned below that.
fn lay_out_args(mem: &mut SlotMemory, args: &[Vec<u8>]) -> Result<(u64, u64), ExecError> {
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
