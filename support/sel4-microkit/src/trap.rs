//! A child's system call as an OS personality serves it: the child executes
//! `svc` with a number seL4 does not know, the kernel sends the parent an
//! UnknownSyscall fault, and the parent answers with the call's result in
//! the child's registers and its pc past the `svc`.
//!
//! Two ways to answer: `Trap::reply` while handling the fault (the runtime's
//! reply), or `Trap::complete` later, for a call that had to wait: it writes
//! the registers and resumes the child, which needs no reply capability (a
//! 5.0.0 PD cannot keep one: it has no CNode to `SaveCaller` into).

use sel4::fault_layout::unknown_syscall as msg;
use sel4::UserContext;

use crate::child::Child;
use crate::message::{set_mrs, MessageInfo};

/// The carry flag (C, bit 29) of the saved SPSR: set, a BSD call failed.
pub const SPSR_CARRY: u64 = 1 << 29;
// `Trap::reply` writes the reply's words in this order.
const _: () = assert!(
    msg::X0 == 0 && msg::X7 == 7 && msg::FAULT_IP == 8 && msg::SP == 9 && msg::LR == 10 && msg::SPSR == 11
);

/// Bytes of the `svc` instruction the result resumes after.
const SVC_BYTES: u64 = 4;

/// The registers an UnknownSyscall fault brought, as the handler keeps them
/// for as long as the call is outstanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trap {
    /// Address of the `svc`.
    pub ip: u64,
    pub sp: u64,
    pub lr: u64,
    pub spsr: u64,
    /// x7, which seL4 read as its own syscall number.
    pub syscall: u64,
    pub x: [u64; 8],
}

/// What a call returns: x0, x1 and the carry flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrapResult {
    pub x0: u64,
    pub x1: u64,
    pub carry: bool,
}

impl TrapResult {
    pub fn ok(x0: u64) -> Self {
        TrapResult { x0, x1: 0, carry: false }
    }
    /// A BSD error: errno in x0 and carry set.
    pub fn errno(errno: u64) -> Self {
        TrapResult { x0: errno, x1: 0, carry: true }
    }
}

impl Trap {
    /// The trap in `fault`, if it is an UnknownSyscall fault.
    pub fn from_fault(fault: &sel4::Fault) -> Option<Trap> {
        match *fault {
            sel4::Fault::UnknownSyscall { ip, sp, lr, spsr, syscall, x } => Some(Trap { ip, sp, lr, spsr, syscall, x }),
            _ => None,
        }
    }

    fn spsr_with(&self, carry: bool) -> u64 {
        if carry {
            self.spsr | SPSR_CARRY
        } else {
            self.spsr & !SPSR_CARRY
        }
    }

    /// The fault reply that resumes the child after its `svc` with `result`;
    /// the other registers go back as the fault brought them.
    pub fn reply(&self, result: TrapResult) -> MessageInfo {
        // In the fault message's order: x0-x7, pc, sp, lr, spsr. All are
        // written: the handler may have used the IPC buffer since.
        let [_, _, x2, x3, x4, x5, x6, x7] = self.x;
        let words = [result.x0, result.x1, x2, x3, x4, x5, x6, x7, self.ip.wrapping_add(SVC_BYTES), self.sp, self.lr, self.spsr_with(result.carry)];
        set_mrs(&words);
        MessageInfo::new(0, words.len())
    }

    /// Finishes a call that waited: writes pc (past the `svc`), sp, spsr,
    /// x0 and x1, and resumes the child.
    pub fn complete(&self, child: Child, result: TrapResult) -> Result<(), sel4::Error> {
        let regs = UserContext {
            pc: self.ip.wrapping_add(SVC_BYTES),
            sp: self.sp,
            spsr: self.spsr_with(result.carry),
            x0: result.x0,
            x1: result.x1,
            ..Default::default()
        };
        // pc, sp, spsr, x0, x1: the first five registers of the context.
        child.write_registers(&regs, 5, true)
    }
}
