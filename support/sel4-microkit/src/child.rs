//! Child PDs: the parent holds each child's TCB and receives its faults.

use monitor_spec::abi::{slot, MAX_CHILD_ID, STACK_TOP};
use sel4::cap_type::Tcb;
use sel4::Cap;

use crate::symbols;

/// One of this PD's children, by its `id` in `system.xml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child(pub(crate) u8);

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
        let regs = sel4::UserContext { pc: entry, sp: STACK_TOP, ..Default::default() };
        // pc and sp are the first two registers of the context.
        self.tcb().tcb_write_registers(true, 0, 2, &regs)
    }

    /// Stops the child until it is restarted.
    pub fn stop(self) -> Result<(), sel4::Error> {
        self.tcb().tcb_suspend()
    }
}
