//! Faults as a fault handler receives them: the message label is the fault
//! type and the message words follow the kernel's per-fault layout (both
//! generated from the kernel's headers).

use crate::generated::{fault as layout, fault_tag};
use crate::{with_ipc_buffer, MessageInfo, Word};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A message with label 0: not a fault.
    Null,
    CapFault { ip: Word, addr: Word, in_recv_phase: bool, lookup_failure_type: Word },
    UnknownSyscall { ip: Word, sp: Word, lr: Word, spsr: Word, syscall: Word, x: [Word; 8] },
    UserException { ip: Word, sp: Word, spsr: Word, number: Word, code: Word },
    VmFault { ip: Word, addr: Word, prefetch: bool, fsr: Word },
    /// A label this kernel configuration does not define.
    Unknown { label: Word },
    /// A known label with the wrong word count: not from the kernel (a
    /// thread holding a fault endpoint can send one itself), so its words
    /// are not read.
    Malformed { label: Word, length: Word },
}

impl Fault {
    /// Decodes the fault message just received (in the IPC buffer).
    pub fn decode(info: MessageInfo) -> Fault {
        // The word counts the kernel sends: a cap fault's grows with its
        // lookup failure, the others are fixed.
        let length = info.length();
        let well_formed = match info.label() {
            fault_tag::NULL_FAULT => true,
            fault_tag::CAP_FAULT => length > layout::cap_fault::LOOKUP_FAILURE_TYPE,
            fault_tag::UNKNOWN_SYSCALL => length == layout::unknown_syscall::LENGTH,
            fault_tag::USER_EXCEPTION => length == layout::user_exception::LENGTH,
            fault_tag::VM_FAULT => length == layout::vm_fault::LENGTH,
            label => return Fault::Unknown { label },
        };
        if !well_formed {
            return Fault::Malformed { label: info.label(), length: length as Word };
        }
        with_ipc_buffer(|buf| {
            let mr = |i: usize| buf.msg[i];
            match info.label() {
                fault_tag::NULL_FAULT => Fault::Null,
                fault_tag::CAP_FAULT => Fault::CapFault {
                    ip: mr(layout::cap_fault::IP),
                    addr: mr(layout::cap_fault::ADDR),
                    in_recv_phase: mr(layout::cap_fault::IN_RECV_PHASE) != 0,
                    lookup_failure_type: mr(layout::cap_fault::LOOKUP_FAILURE_TYPE),
                },
                fault_tag::UNKNOWN_SYSCALL => {
                    use layout::unknown_syscall as u;
                    Fault::UnknownSyscall {
                        ip: mr(u::FAULT_IP),
                        sp: mr(u::SP),
                        lr: mr(u::LR),
                        spsr: mr(u::SPSR),
                        syscall: mr(u::SYSCALL),
                        x: [mr(u::X0), mr(u::X1), mr(u::X2), mr(u::X3), mr(u::X4), mr(u::X5), mr(u::X6), mr(u::X7)],
                    }
                }
                fault_tag::USER_EXCEPTION => {
                    use layout::user_exception as e;
                    Fault::UserException {
                        ip: mr(e::FAULT_IP),
                        sp: mr(e::SP),
                        spsr: mr(e::SPSR),
                        number: mr(e::NUMBER),
                        code: mr(e::CODE),
                    }
                }
                fault_tag::VM_FAULT => Fault::VmFault {
                    ip: mr(layout::vm_fault::IP),
                    addr: mr(layout::vm_fault::ADDR),
                    prefetch: mr(layout::vm_fault::PREFETCH_FAULT) != 0,
                    fsr: mr(layout::vm_fault::FSR),
                },
                label => Fault::Unknown { label },
            }
        })
    }
}

/// ISS bit 6 of a data abort (WnR): the access was a write.
const FSR_WNR: Word = 1 << 6;

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Fault::Null => write!(f, "no fault (null fault message)"),
            Fault::CapFault { ip, addr, in_recv_phase, lookup_failure_type } => write!(
                f,
                "cap fault in {} phase at cptr {addr:#x} (pc {ip:#x}, lookup failure {lookup_failure_type})",
                if in_recv_phase { "receive" } else { "send" }
            ),
            Fault::UnknownSyscall { ip, syscall, .. } => write!(f, "unknown syscall {syscall:#x} (pc {ip:#x})"),
            Fault::UserException { ip, number, code, .. } => {
                write!(f, "user exception {number:#x} code {code:#x} (pc {ip:#x})")
            }
            Fault::VmFault { ip, addr, prefetch, fsr } => write!(
                f,
                "vm fault on {} at address {addr:#x} (pc {ip:#x}, fsr {fsr:#x})",
                match (prefetch, fsr & FSR_WNR != 0) {
                    (true, _) => "instruction fetch",
                    (false, true) => "data write",
                    (false, false) => "data read",
                }
            ),
            Fault::Unknown { label } => write!(f, "fault with unknown label {label}"),
            Fault::Malformed { label, length } => write!(f, "malformed fault message (label {label}, {length} words)"),
        }
    }
}
