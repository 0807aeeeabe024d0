//! What a blocked task waits for. The trap stays unanswered (the task
//! waits on its fault reply, which XNU drops at its next receive); when the
//! wait ends, XNU writes the result into the task's registers and resumes
//! it (`Kernel::finish`).
use alloc::boxed::Box;

use crate::ports::PortId;
use crate::tasks::Pid;
use crate::vm::USlice;

#[derive(Debug)]
pub enum Wait {
    /// read(0, ...) with no input yet.
    ConsoleRead { buf: USlice<u8> },
    /// wait4 for `pid` (-1: any child).
    Child { pid: i64, status: Option<USlice<u32>> },
    /// mach_msg receive on `port` (`name` in the task's space), into `buf`
    /// (`size` bytes at `addr`), until `deadline` ticks if given.
    Message { port: PortId, name: u32, addr: u64, size: u64, deadline: Option<u64> },
    /// mach_wait_until.
    Until { deadline: u64 },
    /// EXCLAVES_NOTIFICATION_WAIT on handle `port` for events in `mask`,
    /// until `deadline` ticks if given.
    Notification { port: PortId, mask: u64, deadline: Option<u64> },
    /// An exclaves operation before EXCLAVECORE: run once boot is past.
    /// Boxed: rare, and the largest wait, which every trap's outcome would
    /// otherwise carry the room for.
    Exclaves { args: Box<crate::traps::ExclavesArgs> },
    /// An ENDPOINT_CALL to a service that makes upcalls: under way, or
    /// queued behind the one that is (`crate::upcalls`).
    Service { args: Box<crate::traps::ExclavesArgs> },
}

impl Wait {
    /// The counter value this wait ends at regardless, if any.
    pub fn deadline(&self) -> Option<u64> {
        match *self {
            Wait::Message { deadline, .. } | Wait::Notification { deadline, .. } => deadline,
            Wait::Until { deadline } => Some(deadline),
            _ => None,
        }
    }

    /// Whether this is a wait4 that `child` (a child of the waiter) ends.
    pub fn waits_for_child(&self, child: Pid) -> bool {
        matches!(*self, Wait::Child { pid, .. } if pid == -1 || pid == i64::from(child))
    }
}
