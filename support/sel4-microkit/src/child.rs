//! Child PDs: the parent holds each child's TCB and receives its faults.

use monitor_spec::abi::{slot, MAX_CHILD_ID, STACK_TOP};
use sel4::cap_type::Tcb;
use sel4::{Cap, UserContext};

use crate::symbols;

/// One of this PD's children, by its `id` in `system.xml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child(pub(crate) u8);

/// Registers of a `UserContext` up to x16: pc, sp, spsr, x0-x8, then x16.
const THROUGH_X16: usize = 13;
const _: () = assert!(core::mem::offset_of!(UserContext, x16) == (THROUGH_X16 - 1) * 8);

impl Child {
    /// Checked construction; only ids of this PD's children are accepted.
    pub fn new(id: u64) -> Option<Self> {
        (id <= MAX_CHILD_ID && symbols::children() & (1 << id) != 0).then_some(Child(id as u8))
    }

    pub fn id(self) -> u8 {
        self.0
    }

    fn tcb(self) -> Cap<Tcb> {
        Cap::from_bits(slot::CHILD_TCB_BASE + u64::from(self.0))
    }

    /// Starts the child again at its ELF entry with a fresh stack pointer.
    /// Its memory is left as it was (as in Microkit).
    pub fn restart(self) -> Result<(), sel4::Error> {
        self.restart_at(symbols::child_entry(self.0))
    }

    /// Starts the child again at `entry`.
    pub fn restart_at(self, entry: u64) -> Result<(), sel4::Error> {
        let regs = UserContext { pc: entry, sp: STACK_TOP, ..Default::default() };
        // pc and sp are the first two registers of the context.
        self.tcb().tcb_write_registers(true, 0, 2, &regs)
    }

    /// Stops the child until it is resumed or restarted.
    pub fn stop(self) -> Result<(), sel4::Error> {
        self.tcb().tcb_suspend()
    }

    /// Lets a stopped child (or one waiting for a fault reply that will not
    /// come) run on from its saved pc.
    pub fn resume(self) -> Result<(), sel4::Error> {
        self.tcb().tcb_resume()
    }

    /// The child's first `count` registers in `UserContext` order (pc, sp,
    /// spsr, x0-x8, x16, ...); the rest of the returned context is zero.
    pub fn read_registers(self, count: usize) -> Result<UserContext, sel4::Error> {
        let mut regs = UserContext::default();
        let count = count.min(sel4::sys::USER_CONTEXT_WORDS) as u64;
        self.tcb().tcb_read_registers(false, 0, count, &mut regs)?;
        Ok(regs)
    }

    /// Writes the child's first `count` registers from `regs`, and resumes
    /// it if `resume`. The kernel sanitises spsr (the child stays at EL0).
    pub fn write_registers(self, regs: &UserContext, count: usize, resume: bool) -> Result<(), sel4::Error> {
        let count = count.min(sel4::sys::USER_CONTEXT_WORDS) as u64;
        self.tcb().tcb_write_registers(resume, 0, count, regs)
    }

    /// Just x16, where XNU's arm64 convention puts a trap's number (read
    /// with the context up to it).
    pub fn read_x16(self) -> Result<u64, sel4::Error> {
        Ok(self.read_registers(THROUGH_X16)?.x16)
    }
}
