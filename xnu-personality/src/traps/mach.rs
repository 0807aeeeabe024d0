//! The Mach table: negative trap numbers, answering `kern_return_t` (or
//! the value the trap returns) in x0. An unknown number is
//! KERN_INVALID_ARGUMENT, as XNU's `kern_invalid` answers.
use alloc::vec;

use sel4_microkit::TrapResult;
use xnu_abi::kern::*;
use xnu_abi::mach;
use xnu_abi::port::{HEADER_BYTES, MACH_RCV_MSG, MACH_RCV_TIMEOUT, MACH_SEND_MSG, MAX_MESSAGE_BYTES};

use super::{Call, Outcome};
use crate::kernel::Kernel;
use crate::ports::{Kind, PortId, Ports};
use crate::time;
use crate::vm::{Access, USlice};
use crate::wait::Wait;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    AbsoluteTime,
    PortAllocate,
    PortDeallocate,
    PortModRefs,
    ReplyPort,
    TaskSelf,
    Msg,
    ExclavesCtl,
    TimebaseInfo,
    WaitUntil,
}

impl TryFrom<i64> for Number {
    type Error = ();
    fn try_from(n: i64) -> Result<Self, ()> {
        Ok(match n {
            mach::MACH_ABSOLUTE_TIME => Number::AbsoluteTime,
            mach::MACH_PORT_ALLOCATE => Number::PortAllocate,
            mach::MACH_PORT_DEALLOCATE => Number::PortDeallocate,
            mach::MACH_PORT_MOD_REFS => Number::PortModRefs,
            mach::MACH_REPLY_PORT => Number::ReplyPort,
            mach::TASK_SELF_TRAP => Number::TaskSelf,
            mach::MACH_MSG => Number::Msg,
            mach::EXCLAVES_CTL => Number::ExclavesCtl,
            mach::MACH_TIMEBASE_INFO => Number::TimebaseInfo,
            mach::MACH_WAIT_UNTIL => Number::WaitUntil,
            _ => return Err(()),
        })
    }
}

pub(super) fn reply(value: u64) -> Outcome {
    Outcome::Reply(TrapResult::ok(value))
}

fn kr(result: Result<(), u64>) -> Outcome {
    reply(result.err().unwrap_or(KERN_SUCCESS))
}

pub fn dispatch(k: &mut Kernel, call: &Call, number: i64) -> Outcome {
    let Ok(number) = Number::try_from(number) else {
        return reply(KERN_INVALID_ARGUMENT);
    };
    match number {
        Number::AbsoluteTime => reply(time::now()),
        Number::PortAllocate => kr(port_allocate(k, call)),
        Number::PortDeallocate => kr(port_deallocate(k, call)),
        Number::PortModRefs => kr(port_mod_refs(k, call)),
        Number::ReplyPort => reply(reply_port(k, call)),
        Number::TaskSelf => reply(task_self(k, call)),
        Number::Msg => mach_msg(k, call),
        Number::ExclavesCtl => super::exclaves::exclaves_ctl(k, call),
        Number::TimebaseInfo => kr(timebase_info(k, call)),
        Number::WaitUntil => wait_until(k, call),
    }
}

/// The task `target` names must be the caller itself, as XNU's port traps
/// require (they act only on the current task's space).
fn check_target(k: &Kernel, call: &Call, target: u64) -> Result<(), u64> {
    let task = k.tasks.get(call.pid).ok_or(KERN_INVALID_TASK)?;
    let port = u32::try_from(target).ok().and_then(|n| task.space.send_port(n)).ok_or(MACH_SEND_INVALID_DEST)?;
    match k.ports.kind(port) {
        Some(Kind::Task(pid)) if pid == call.pid => Ok(()),
        _ => Err(MACH_SEND_INVALID_DEST),
    }
}

fn name_arg(value: u64) -> Result<u32, u64> {
    u32::try_from(value).map_err(|_| KERN_INVALID_NAME)
}

fn port_allocate(k: &mut Kernel, call: &Call) -> Result<(), u64> {
    let [target, right, name_addr, ..] = call.args;
    check_target(k, call, target)?;
    let out = USlice::<u32>::new(&k.mem[call.slot], name_addr, 1, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let Kernel { tasks, ports, .. } = k;
    let task = tasks.get_mut(call.pid).ok_or(KERN_INVALID_TASK)?;
    let name = ports.allocate(&mut task.space, right)?;
    out.write(name);
    Ok(())
}

fn port_deallocate(k: &mut Kernel, call: &Call) -> Result<(), u64> {
    let [target, name, ..] = call.args;
    check_target(k, call, target)?;
    let name = name_arg(name)?;
    let task = k.tasks.get_mut(call.pid).ok_or(KERN_INVALID_TASK)?;
    let held = task.space.send_port(name);
    let result = Ports::deallocate(&mut task.space, name);
    release_if_gone(k, call, name, held);
    result
}

fn port_mod_refs(k: &mut Kernel, call: &Call) -> Result<(), u64> {
    let [target, name, right, delta, ..] = call.args;
    check_target(k, call, target)?;
    let name = name_arg(name)?;
    let Kernel { tasks, ports, .. } = k;
    let task = tasks.get_mut(call.pid).ok_or(KERN_INVALID_TASK)?;
    let held = task.space.send_port(name);
    let result = ports.mod_refs(&mut task.space, name, right, delta as i64);
    release_if_gone(k, call, name, held);
    result
}

/// An exclaves handle whose last right just went releases what it held.
fn release_if_gone(k: &mut Kernel, call: &Call, name: u32, held: Option<PortId>) {
    let Some(port) = held else { return };
    let still = k.tasks.get(call.pid).and_then(|t| t.space.send_port(name));
    if still.is_none() && k.release_handle(port) {
        k.ports.destroy(port);
    }
}

/// A new receive right; 0 (MACH_PORT_NULL) if none can be made.
fn reply_port(k: &mut Kernel, call: &Call) -> u64 {
    let Kernel { tasks, ports, .. } = k;
    tasks
        .get_mut(call.pid)
        .and_then(|t| ports.allocate(&mut t.space, xnu_abi::port::MACH_PORT_RIGHT_RECEIVE).ok())
        .map_or(0, u64::from)
}

/// Another reference to the task's send right to its own port.
fn task_self(k: &mut Kernel, call: &Call) -> u64 {
    let Some(task) = k.tasks.get_mut(call.pid) else { return 0 };
    let port = task.task_port;
    task.space.add_send(port).map_or(0, u64::from)
}

/// mach_timebase_info(info *): `{ numer: u32, denom: u32 }`.
fn timebase_info(k: &mut Kernel, call: &Call) -> Result<(), u64> {
    let out = USlice::<u32>::new(&k.mem[call.slot], call.args[0], 2, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let (numer, denom) = time::timebase();
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&numer.to_le_bytes());
    b[4..].copy_from_slice(&denom.to_le_bytes());
    out.copy_out(&b);
    Ok(())
}

fn wait_until(k: &mut Kernel, call: &Call) -> Outcome {
    let deadline = call.args[0];
    if time::now() >= deadline {
        return reply(KERN_SUCCESS);
    }
    k.timer_wants(deadline);
    Outcome::Block(Wait::Until { deadline })
}

/// mach_msg(msg, option, send_size, rcv_size, rcv_name, timeout, notify):
/// a send, a receive, or a send then a receive.
fn mach_msg(k: &mut Kernel, call: &Call) -> Outcome {
    let [addr, option, send_size, rcv_size, rcv_name, timeout, ..] = call.args;
    if option & MACH_SEND_MSG != 0 {
        if let Err(e) = send(k, call, addr, send_size) {
            return reply(e);
        }
    }
    if option & MACH_RCV_MSG == 0 {
        return reply(MACH_MSG_SUCCESS);
    }
    let Ok(name) = u32::try_from(rcv_name) else { return reply(MACH_RCV_INVALID_NAME) };
    let Some(port) = k.tasks.get(call.pid).and_then(|t| t.space.receive_port(name)) else {
        return reply(MACH_RCV_INVALID_NAME);
    };
    if k.ports.has_message(port) {
        return reply(deliver(k, call.pid, call.slot, port, name, addr, rcv_size));
    }
    if option & MACH_RCV_TIMEOUT != 0 {
        if timeout == 0 {
            return reply(MACH_RCV_TIMED_OUT);
        }
        let deadline = time::now().saturating_add(time::ms_to_ticks(timeout));
        k.timer_wants(deadline);
        return Outcome::Block(Wait::Message { port, name, addr, size: rcv_size, deadline: Some(deadline) });
    }
    Outcome::Block(Wait::Message { port, name, addr, size: rcv_size, deadline: None })
}

fn header_word(h: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([h[4 * i], h[4 * i + 1], h[4 * i + 2], h[4 * i + 3]])
}

fn send(k: &mut Kernel, call: &Call, addr: u64, size: u64) -> Result<(), u64> {
    if size < HEADER_BYTES as u64 || !size.is_multiple_of(4) {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    if size > MAX_MESSAGE_BYTES as u64 {
        return Err(MACH_SEND_TOO_LARGE);
    }
    let msg = USlice::<u8>::new(&k.mem[call.slot], addr, size, Access::Read).map_err(|_| MACH_SEND_INVALID_DATA)?;
    let mut bytes = vec![0; size as usize];
    msg.copy_in(&mut bytes);
    let (bits, remote, local, id) = (header_word(&bytes, 0), header_word(&bytes, 2), header_word(&bytes, 3), header_word(&bytes, 5) as i32);
    let body = bytes.split_off(HEADER_BYTES);
    let Kernel { tasks, ports, .. } = k;
    let task = tasks.get_mut(call.pid).ok_or(MACH_SEND_INVALID_DEST)?;
    let port = ports.send(&mut task.space, bits, remote, local, id, body)?;
    k.wake_receiver(port);
    Ok(())
}

/// Copies the next message of `port` out to the receiver `pid`; the
/// mach_msg return value. A message too large for the buffer is
/// destroyed, as XNU does without MACH_RCV_LARGE.
pub fn deliver(k: &mut Kernel, pid: crate::tasks::Pid, slot: usize, port: u32, name: u32, addr: u64, size: u64) -> u64 {
    let Kernel { tasks, ports, mem, .. } = k;
    let Some(task) = tasks.get_mut(pid) else { return MACH_RCV_INVALID_NAME };
    let Some((msg, reply_name)) = ports.receive(&mut task.space, port) else { return MACH_RCV_INVALID_NAME };
    let total = (HEADER_BYTES + msg.body.len()) as u64;
    if size < total {
        return MACH_RCV_TOO_LARGE;
    }
    let Ok(out) = USlice::<u8>::new(&mem[slot], addr, total, Access::Write) else {
        return MACH_RCV_INVALID_DATA;
    };
    let remote_kind = match msg.reply {
        Some(crate::ports::Carried::Send(_)) => xnu_abi::port::MACH_MSG_TYPE_MOVE_SEND,
        Some(crate::ports::Carried::SendOnce(_)) => xnu_abi::port::MACH_MSG_TYPE_MOVE_SEND_ONCE,
        None => 0,
    };
    let mut bytes = vec::Vec::with_capacity(total as usize);
    for word in [remote_kind | (msg.local_kind << 8), total as u32, reply_name, name, 0, msg.id as u32] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    bytes.extend_from_slice(&msg.body);
    out.copy_out(&bytes);
    MACH_MSG_SUCCESS
}
