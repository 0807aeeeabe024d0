//! Trap dispatch: a task's `svc #0x80` reaches XNU as its slot's
//! UnknownSyscall fault. The number (the x7 hint, else x16 from the TCB)
//! becomes a call of the BSD or the Mach table; each call is one function
//! of the same shape. Any other fault kills the task.
mod bsd;
mod exclaves;
mod mach;

pub use bsd::deliver_input;
pub use exclaves::{caller as exclaves_caller, exclaves_op, Args as ExclavesArgs};
pub use mach::deliver;

use sel4::Fault;
use sel4_microkit::{get_mr, set_mr, Channel, Child, MessageInfo, Trap, TrapResult};
use xnu_abi::fast;
use xnu_abi::kern::KERN_INVALID_ARGUMENT;
use xnu_abi::signal::{SIGBUS, SIGILL, SIGSEGV, SIGSYS};
use xnu_abi::wait::signaled;

use crate::kernel::Kernel;
use crate::tasks::{slot_of_child, Pid, State};
use crate::vm::SLOTS;
use crate::wait::Wait;

/// How a call ends for now.
#[derive(Debug)]
pub enum Outcome {
    /// Answer at once.
    Reply(TrapResult),
    /// Answer later (`Kernel::finish`).
    Block(Wait),
    /// The task is gone (exit, or it killed itself): no answer.
    Gone,
}

/// The calling task and its arguments (x0-x7).
pub struct Call {
    pub pid: Pid,
    pub slot: usize,
    pub args: [u64; 8],
}

/// A trap's number: the x7 hint if the task's libSystem gave one, else x16.
fn number(child: Child, trap: &Trap) -> Result<i64, sel4::Error> {
    match xnu_abi::from_hint(trap.syscall) {
        Some(n) => Ok(n),
        None => child.read_x16().map(|x16| x16 as i64),
    }
}

/// Handles a message on a child's fault endpoint.
pub fn handle(k: &mut Kernel, child: Child, fault: Fault) -> Option<MessageInfo> {
    let slot = slot_of_child(child)?;
    let Some(pid) = k.tasks.in_slot(slot) else {
        // A free slot has nothing to run: keep it stopped.
        let _ = child.stop();
        return None;
    };
    let Some(trap) = Trap::from_fault(&fault) else {
        kill_for_fault(k, pid, &fault);
        return None;
    };
    let number = match number(child, &trap) {
        Ok(n) => n,
        Err(_) => {
            kill_for_fault(k, pid, &fault);
            return None;
        }
    };
    let call = Call { pid, slot, args: trap.x };
    let outcome = if number > 0 { bsd::dispatch(k, &call, number) } else { mach::dispatch(k, &call, number) };
    match outcome {
        Outcome::Reply(result) => Some(trap.reply(result)),
        Outcome::Block(wait) => {
            if let Some(task) = k.tasks.get_mut(pid) {
                task.state = State::Blocked { trap, wait };
            }
            None
        }
        Outcome::Gone => None,
    }
}

/// The task's end of its channel is the PPC cap the monitor puts at
/// `PP_BASE` + its channel id 0; libSystem calls it by number.
const _: () = assert!(fast::CAP == monitor_spec::abi::slot::PP_BASE);

/// A fast call from the task in the slot of `channel` (ABI.md): its one
/// reply word is a `kern_return_t`. A fast call never blocks: one that would
/// is told to come back as the trap.
pub fn fast(k: &mut Kernel, channel: Channel, msg: MessageInfo) -> MessageInfo {
    let result = fast_call(k, channel, msg).unwrap_or_else(|code| code);
    // One word always fits the IPC buffer.
    let _ = set_mr(0, result);
    MessageInfo::new(0, 1)
}

fn fast_call(k: &mut Kernel, channel: Channel, msg: MessageInfo) -> Result<u64, u64> {
    let slot = usize::from(channel.index())
        .checked_sub(usize::from(fast::FIRST_XNU_CHANNEL))
        .filter(|&slot| slot < SLOTS)
        .ok_or(KERN_INVALID_ARGUMENT)?;
    let pid = k.tasks.in_slot(slot).ok_or(KERN_INVALID_ARGUMENT)?;
    let word = |i| get_mr(i).map_err(|_| KERN_INVALID_ARGUMENT);
    use xnu_abi::exclaves::{op_word, ENDPOINT_CALL, NAMED_BUFFER_COPYIN, NAMED_BUFFER_COPYOUT};
    // The call as exclaves_ctl's arguments.
    let args: ExclavesArgs = match (msg.label(), msg.count()) {
        (fast::ENDPOINT_CALL, fast::ENDPOINT_CALL_WORDS) => [0, op_word(ENDPOINT_CALL), word(0)?, word(1)?, word(2)?, 0, 0, 0],
        (label @ (fast::BUFFER_COPYIN | fast::BUFFER_COPYOUT), fast::BUFFER_COPY_WORDS) => {
            let op = if label == fast::BUFFER_COPYIN { NAMED_BUFFER_COPYIN } else { NAMED_BUFFER_COPYOUT };
            let ((size1, offset1), (size2, offset2)) = (fast::unrange(word(2)?), fast::unrange(word(3)?));
            [word(0)?, op_word(op), offset1, word(1)?, size1, size2, offset2, 0]
        }
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    if k.exclaves.stage == crate::exclaves::Stage::None {
        return Ok(fast::USE_TRAP);
    }
    // A call to a service that makes upcalls answers USE_TRAP from here.
    Ok(exclaves::exclaves_op(k, pid, slot, &args))
}

/// Data abort fault status (ESR DFSC) of an alignment fault.
const DFSC_ALIGNMENT: u64 = 0x21;

/// The signal a fault kills with, and what the log calls it.
fn signal_for(fault: &Fault) -> (u32, &'static str) {
    match *fault {
        Fault::VmFault { fsr, .. } if fsr & 0x3f == DFSC_ALIGNMENT => (SIGBUS, "alignment fault"),
        Fault::VmFault { .. } => (SIGSEGV, "vm fault"),
        // 5.0.0 reports every other synchronous exception at EL0 (undefined
        // instruction, pc or sp misalignment) as UserException (0, 0).
        Fault::UserException { .. } => (SIGILL, "user exception"),
        // A real seL4 call (x7 in seL4's range) on an empty slot, or a
        // message the task sent on its fault endpoint itself.
        _ => (SIGSYS, "bad system call"),
    }
}

/// The fault's pc and address, as far as it has them.
fn pc_and_addr(fault: &Fault) -> (u64, u64) {
    match *fault {
        Fault::VmFault { ip, addr, .. } => (ip, addr),
        Fault::CapFault { ip, addr, .. } => (ip, addr),
        Fault::UserException { ip, .. } | Fault::UnknownSyscall { ip, .. } => (ip, 0),
        _ => (0, 0),
    }
}

fn kill_for_fault(k: &mut Kernel, pid: Pid, fault: &Fault) {
    let (signal, what) = signal_for(fault);
    let (pc, addr) = pc_and_addr(fault);
    let name = k.tasks.get(pid).map_or("?", |t| t.name.as_str());
    crate::log!(k.console, "task {pid} ({name}) killed: {what} at pc {pc:#x} addr {addr:#x} ({fault})");
    k.terminate(pid, signaled(signal));
}
