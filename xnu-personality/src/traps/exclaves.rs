//! `exclaves_ctl` (Mach trap -88): the gate of ABI.md, then each operation
//! as one function. Arguments are XNU's (`exclaves_ctl_trap_args`): x0 a
//! port name, x1 the operation and flags, x2 the identifier (a copy's
//! first offset), x3 a buffer, x4 its size, x5 a second size (the perm of
//! NAMED_BUFFER_CREATE), x6 a second offset.
use xnu_abi::exclaves::*;
use xnu_abi::kern::*;

use super::mach::reply;
use super::{Call, Outcome};
use crate::exclaves::{Caller, Copy, Stage};
use crate::kernel::Kernel;
use crate::ports::Kind;
use crate::tasks::Pid;
use crate::vm::{copy_in_str, Access, USlice};
use crate::wait::Wait;

/// x0-x7 of the trap (x7 is AUDIO_BUFFER_COPYOUT's status address; for the
/// others libSystem's hint, unused).
pub type Args = [u64; 8];

pub fn exclaves_ctl(k: &mut Kernel, call: &Call) -> Outcome {
    let args: Args = call.args;
    let op_flags = args[1];
    // The operation is bits 31..24 of a 32-bit argument; flags must be 0.
    if op_flags >> 32 != 0 || op_flags & FLAGS_MASK != 0 {
        return reply(KERN_INVALID_ARGUMENT);
    }
    match op_flags >> OP_SHIFT {
        BOOT => {
            let caller = caller(k, call.pid);
            let Kernel { exclaves, console, .. } = k;
            let result = exclaves.boot(&caller, args[2], console);
            if result == KERN_SUCCESS && args[2] == STAGE_EXCLAVECORE {
                if let Some(table) = k.exclaves.table() {
                    k.conclaves = crate::conclaves::Conclaves::boot(table, |c| k.exclaves.endpoint(c));
                }
            }
            k.wake_exclaves_waiters();
            reply(result)
        }
        ENDPOINT_CALL | LOOKUP_SERVICES | NAMED_BUFFER_CREATE..=NAMED_BUFFER_COPYOUT | AUDIO_BUFFER_CREATE..=SENSOR_STATUS
        | NOTIFICATION_RESOURCE_LOOKUP | SENSOR_MIN_ON_TIME => {
            if k.exclaves.stage == Stage::None {
                return Outcome::Block(Wait::Exclaves { args: alloc::boxed::Box::new(args) });
            }
            match exclaves_op(k, call.pid, call.slot, &args) {
                // A service that makes upcalls: the call waits for them.
                xnu_abi::fast::USE_TRAP if op_flags >> OP_SHIFT == ENDPOINT_CALL => {
                    let caller = caller(k, call.pid);
                    crate::upcalls::call(k, caller, call.slot, args[2], args[3], args[4], &args)
                }
                result => reply(result),
            }
        }
        // Conclaves launch once EXCLAVEKIT is up.
        LAUNCH_CONCLAVE => match k.exclaves.stage {
            Stage::ExclaveKit => reply(k.conclaves.launch(call.pid)),
            Stage::None => Outcome::Block(Wait::Exclaves { args: alloc::boxed::Box::new(args) }),
            _ => reply(KERN_NOT_SUPPORTED),
        },
        _ => reply(KERN_INVALID_ARGUMENT),
    }
}

/// An operation that needs EXCLAVECORE, once it is past: the result.
pub fn exclaves_op(k: &mut Kernel, pid: Pid, slot: usize, args: &Args) -> u64 {
    if k.exclaves.stage == Stage::Failed {
        return KERN_FAILURE;
    }
    let caller = caller(k, pid);
    let [name, op_flags, id, buffer, size, size2, offset2, status] = *args;
    let result = match op_flags >> OP_SHIFT {
        LOOKUP_SERVICES => lookup_services(k, &caller, slot, buffer, size),
        ENDPOINT_CALL => endpoint_call(k, &caller, slot, id, buffer, size),
        NAMED_BUFFER_CREATE => buffer_create(k, &caller, slot, name, id, buffer, size, size2, false),
        AUDIO_BUFFER_CREATE => buffer_create(k, &caller, slot, name, id, buffer, size, BUFFER_PERM_READ, true),
        NAMED_BUFFER_COPYIN => buffer_copy(k, pid, slot, BufferCopy::Named(Copy::In), name, buffer, [(size, id), (size2, offset2)], status),
        NAMED_BUFFER_COPYOUT => buffer_copy(k, pid, slot, BufferCopy::Named(Copy::Out), name, buffer, [(size, id), (size2, offset2)], status),
        AUDIO_BUFFER_COPYOUT => buffer_copy(k, pid, slot, BufferCopy::Audio, name, buffer, [(size, id), (size2, offset2)], status),
        SENSOR_CREATE => sensor_create(k, &caller, slot, id, buffer),
        op @ SENSOR_START..=SENSOR_STATUS => sensor_op(k, pid, slot, op, name, id, buffer),
        SENSOR_MIN_ON_TIME => min_on_time(k, &caller, slot, buffer, size),
        NOTIFICATION_RESOURCE_LOOKUP => notification_lookup(k, &caller, slot, id, buffer),
        _ => Err(KERN_INVALID_ARGUMENT),
    };
    result.err().unwrap_or(KERN_SUCCESS)
}

/// Task `pid` as the exclaves subsystem sees it (its entitlements looked
/// up once, then kept with the task).
pub fn caller(k: &mut Kernel, pid: Pid) -> Caller {
    let Kernel { exclaves, tasks, conclaves, .. } = k;
    let mut caller = match tasks.get_mut(pid) {
        Some(task) => exclaves.caller(pid, &task.name, &mut task.entitlements),
        None => exclaves.caller(pid, "", &mut None),
    };
    caller.conclave = conclaves.of_owner(pid);
    caller
}

/// EXCLAVES_CONCLAVE_CTL(op, id, buffer, size): xnu_abi::conclave_ctl.
pub fn conclave_ctl(k: &mut Kernel, call: &Call) -> Result<Outcome, u64> {
    use crate::conclaves::Op;
    use xnu_abi::conclave_ctl::*;
    use xnu_abi::errno::{EINVAL, EFAULT};
    let [op, id, buffer, size, ..] = call.args;
    let id = u32::try_from(id).map_err(|_| EINVAL)?;
    let done = |n: u64| Ok(Outcome::Reply(sel4_microkit::TrapResult::ok(n)));
    if op == CRASH_INFO {
        let out = USlice::<u8>::new(&k.mem[call.slot], buffer, size, Access::Write).map_err(|_| EFAULT)?;
        let mut bytes = alloc::vec![0u8; out.len().min(tightbeam::conclave::crash_page::BYTES)];
        let n = k.conclaves.crash_info(call.pid, id, &mut bytes)?;
        out.prefix(n).copy_out(&bytes[..n]);
        return done(n as u64);
    }
    let op = match op {
        STATUS => Op::Status,
        SUSPEND => Op::Suspend,
        RESUME => Op::Resume,
        STOP => Op::Stop,
        _ => return Err(EINVAL),
    };
    if size != STATUS_BYTES {
        return Err(EINVAL);
    }
    let out = USlice::<u8>::new(&k.mem[call.slot], buffer, size, Access::Write).map_err(|_| EFAULT)?;
    let (status, owner) = k.conclaves.control(call.pid, id, op)?;
    let mut record = [0u8; STATUS_BYTES as usize];
    let words = [status.state as u32, status.launches, status.crashes, status.stop_requests, owner.unwrap_or(0), 0];
    for (chunk, w) in record.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    out.copy_out(&record);
    done(0)
}

fn lookup_services(k: &Kernel, caller: &Caller, slot: usize, buffer: u64, size: u64) -> Result<(), u64> {
    if size != LOOKUP_RECORD_BYTES {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let record = USlice::<u8>::new(&k.mem[slot], buffer, size, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let mut bytes = [0u8; LOOKUP_RECORD_BYTES as usize];
    record.copy_in(&mut bytes);
    let field = &bytes[..LOOKUP_NAME_BYTES];
    let len = field.iter().position(|&b| b == 0).ok_or(KERN_INVALID_ARGUMENT)?;
    let name = core::str::from_utf8(&field[..len]).map_err(|_| KERN_INVALID_ARGUMENT)?;
    let id = k.exclaves.lookup(caller, name)?;
    bytes[LOOKUP_NAME_BYTES..].copy_from_slice(&id.to_le_bytes());
    record.copy_out(&bytes);
    Ok(())
}

fn endpoint_call(k: &Kernel, caller: &Caller, slot: usize, id: u64, buffer: u64, size: u64) -> Result<(), u64> {
    if size != MESSAGE_BYTES {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let message = USlice::<u8>::new(&k.mem[slot], buffer, size, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    k.exclaves.endpoint_call(caller, id, &message)
}

/// NAMED_BUFFER_CREATE(0, name_ptr, handle_out, size, perm): a handle (a
/// send right to a kernel object port in the task's space) to the named
/// buffer, written to `handle_out` as a u32.
/// AUDIO_BUFFER_CREATE(_, name_ptr, handle_out, size) is the same for an
/// audio buffer (`audio`), read only.
#[allow(clippy::too_many_arguments)]
fn buffer_create(k: &mut Kernel, caller: &Caller, slot: usize, port: u64, name_ptr: u64, out: u64, size: u64, perm: u64, audio: bool) -> Result<(), u64> {
    if port != 0 && !audio {
        return Err(KERN_INVALID_CAPABILITY);
    }
    let name = copy_in_str(&k.mem[slot], name_ptr, NAME_MAX).map_err(|_| KERN_INVALID_ARGUMENT)?;
    let name = core::str::from_utf8(&name).ok().filter(|n| !n.is_empty()).ok_or(KERN_INVALID_ARGUMENT)?;
    // Checked before anything is made, so a bad pointer leaves nothing behind.
    let out = USlice::<u32>::new(&k.mem[slot], out, 1, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let buffer = k.exclaves.buffer_create(caller, name, size, perm, audio)?;
    give_handle(k, caller.pid, Kind::ExclavesBuffer(buffer), &out).map(|_| ())
}

/// A new handle in task `pid`'s space to `object`, written to `out`: its
/// port. If the space has no room, what the handle would hold goes again.
fn give_handle(k: &mut Kernel, pid: Pid, object: Kind, out: &USlice<u32>) -> Result<crate::ports::PortId, u64> {
    let port = k.ports.kernel_object(object);
    let added = k.tasks.get_mut(pid).ok_or(KERN_FAILURE).and_then(|task| task.space.add_send(port));
    match added {
        Ok(handle) => {
            out.write(handle);
            Ok(port)
        }
        Err(e) => {
            k.release_handle(port);
            k.ports.destroy(port);
            Err(e)
        }
    }
}

/// Which copy of a buffer: a named buffer's either way, or an audio copy out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BufferCopy {
    Named(Copy),
    Audio,
}

/// NAMED_BUFFER_COPYIN, COPYOUT or AUDIO_BUFFER_COPYOUT (handle, buffer,
/// (size1, offset1), (size2, offset2), status): the task's `buffer` holds
/// range 1 then range 2, back to back; an audio copy writes the
/// microphone's status (a u32) at `status` if it is not 0.
#[allow(clippy::too_many_arguments)]
fn buffer_copy(k: &Kernel, pid: Pid, slot: usize, way: BufferCopy, handle: u64, buffer: u64, ranges: [(u64, u64); 2], status: u64) -> Result<(), u64> {
    let task = k.tasks.get(pid).ok_or(KERN_FAILURE)?;
    let handle = u32::try_from(handle).map_err(|_| KERN_INVALID_NAME)?;
    let object = task.space.send_port(handle).ok_or(KERN_INVALID_NAME)?;
    let Some(Kind::ExclavesBuffer(index)) = k.ports.kind(object) else { return Err(KERN_INVALID_CAPABILITY) };
    let access = if way == BufferCopy::Named(Copy::In) { Access::Read } else { Access::Write };
    let mem = &k.mem[slot];
    let (size1, size2) = (ranges[0].0, ranges[1].0);
    let task_ranges = || {
        let first = USlice::<u8>::new(mem, buffer, size1, access).ok()?;
        let second = USlice::<u8>::new(mem, buffer.checked_add(size1)?, size2, access).ok()?;
        Some((first, second))
    };
    match way {
        BufferCopy::Named(way) => k.exclaves.buffer_copy(index, way, ranges, buffer, &task_ranges),
        BufferCopy::Audio => {
            // Checked first, so that a bad address costs no arbitration.
            let out = match status {
                0 => None,
                at => Some(USlice::<u32>::new(mem, at, 1, Access::Write).map_err(|_| KERN_FAILURE)?),
            };
            let mic = k.exclaves.audio_copyout(index, ranges, buffer, &task_ranges)?;
            if let Some(out) = out {
                out.write(mic);
            }
            Ok(())
        }
    }
}

/// SENSOR_CREATE(_, name_ptr, handle_out): a handle to the sensor of that
/// name in the caller's domains (XNU checks no port name here).
fn sensor_create(k: &mut Kernel, caller: &Caller, slot: usize, name_ptr: u64, out: u64) -> Result<(), u64> {
    if name_ptr == 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let name = copy_in_str(&k.mem[slot], name_ptr, NAME_MAX).map_err(|_| KERN_INVALID_ARGUMENT)?;
    let name = core::str::from_utf8(&name).map_err(|_| KERN_INVALID_ARGUMENT)?;
    let out = USlice::<u32>::new(&k.mem[slot], out, 1, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let kind = k.exclaves.sensor_open(caller, name)?;
    give_handle(k, caller.pid, Kind::ExclavesSensor(kind), &out).map(|_| ())
}

/// NOTIFICATION_RESOURCE_LOOKUP(_, name_ptr, handle_out): a handle to the
/// NOTIFICATION of that name in the caller's domains, whose events the task
/// then waits for (EXCLAVES_NOTIFICATION_WAIT).
fn notification_lookup(k: &mut Kernel, caller: &Caller, slot: usize, name_ptr: u64, out: u64) -> Result<(), u64> {
    let name = copy_in_str(&k.mem[slot], name_ptr, NAME_MAX).map_err(|_| KERN_INVALID_ARGUMENT)?;
    let name = core::str::from_utf8(&name).ok().filter(|n| !n.is_empty()).ok_or(KERN_INVALID_ARGUMENT)?;
    let out = USlice::<u32>::new(&k.mem[slot], out, 1, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let source = k.exclaves.notification_source(caller, name)?;
    let port = give_handle(k, caller.pid, Kind::ExclavesNotification(source), &out)?;
    k.exclaves.notification_handle(port, source);
    Ok(())
}

/// EXCLAVES_NOTIFICATION_WAIT(handle, mask, timeout_ms): the handle's
/// pending events in `mask`, at once or once they come (xnu_abi::bsd).
pub fn notification_wait(k: &mut Kernel, call: &Call) -> Result<Outcome, u64> {
    use xnu_abi::errno::{EBADF, EINVAL};
    let [handle, mask, timeout_ms, ..] = call.args;
    if mask == 0 {
        return Err(EINVAL);
    }
    let task = k.tasks.get(call.pid).ok_or(EBADF)?;
    let port = u32::try_from(handle).ok().and_then(|h| task.space.send_port(h)).ok_or(EBADF)?;
    if !matches!(k.ports.kind(port), Some(Kind::ExclavesNotification(_))) {
        return Err(EBADF);
    }
    match k.exclaves.take_events(port, mask).ok_or(EBADF)? {
        0 if timeout_ms == 0 => Ok(Outcome::Reply(sel4_microkit::TrapResult::ok(0))),
        0 => {
            let deadline = (timeout_ms != u64::MAX).then(|| {
                let hz = generic_timer::frequency();
                crate::time::now().saturating_add(generic_timer::ns_to_ticks_ceil(timeout_ms.saturating_mul(1_000_000), hz))
            });
            if let Some(at) = deadline {
                k.timer_wants(at);
            }
            Ok(Outcome::Block(Wait::Notification { port, mask, deadline }))
        }
        bits => Ok(Outcome::Reply(sel4_microkit::TrapResult::ok(bits))),
    }
}

/// SENSOR_START, STOP or STATUS(handle, flags, status_out): the sensor's
/// status, the indicator controller's answer, written as a u32.
fn sensor_op(k: &Kernel, pid: Pid, slot: usize, op: u64, handle: u64, flags: u64, out: u64) -> Result<(), u64> {
    use tightbeam::indicator::SensorRequest;
    let task = k.tasks.get(pid).ok_or(KERN_FAILURE)?;
    let handle = u32::try_from(handle).map_err(|_| KERN_INVALID_NAME)?;
    let object = task.space.send_port(handle).ok_or(KERN_INVALID_NAME)?;
    // A handle of another type is KERN_FAILURE for the sensor operations (XNU's choice).
    let Some(Kind::ExclavesSensor(kind)) = k.ports.kind(object) else { return Err(KERN_FAILURE) };
    if flags != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let out = USlice::<u32>::new(&k.mem[slot], out, 1, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let request = SensorRequest { sensor: kind as u32, client: object };
    let request = match op {
        SENSOR_START => tightbeam::Request::SensorStart(request),
        SENSOR_STOP => tightbeam::Request::SensorStop(request),
        _ => tightbeam::Request::SensorStatus(request),
    };
    let status = k.exclaves.indicator(&request)?.map_err(refusal)?;
    out.write(status as u32);
    Ok(())
}

/// The indicator controller's refusals as kern_returns: a stop without a
/// start is the caller's mistake; anything else the controller's.
fn refusal(code: tightbeam::ErrorCode) -> u64 {
    if code == tightbeam::ErrorCode::service(3) {
        KERN_INVALID_ARGUMENT
    } else {
        KERN_FAILURE
    }
}

/// SENSOR_MIN_ON_TIME(_, _, _, buffer, size): each sensor's deadline, for
/// tasks entitled to `indicator-min-on-time`.
fn min_on_time(k: &Kernel, caller: &Caller, slot: usize, buffer: u64, size: u64) -> Result<(), u64> {
    use exclaves_table::{Entitlements, SensorKind};
    if !caller.entitled(Entitlements::INDICATOR_MIN_ON_TIME) {
        return Err(KERN_DENIED);
    }
    if size != MIN_ON_TIME_BYTES {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let record = USlice::<u8>::new(&k.mem[slot], buffer, size, Access::Write).map_err(|_| KERN_INVALID_ADDRESS)?;
    let mut bytes = [0u8; MIN_ON_TIME_BYTES as usize];
    record.copy_in(&mut bytes);
    if bytes[..4] != MIN_ON_TIME_VERSION.to_le_bytes() {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let hz = generic_timer::frequency();
    for kind in SensorKind::ALL {
        let request = tightbeam::Request::MinOnTime(tightbeam::indicator::MinOnTime { sensor: kind as u32 });
        let ns = k.exclaves.indicator(&request)?.map_err(refusal)?;
        let ticks = if ns == 0 { 0 } else { generic_timer::ns_to_ticks_ceil(ns, hz) };
        let at = 8 + 8 * (kind as usize - 1);
        bytes[at..at + 8].copy_from_slice(&ticks.to_le_bytes());
    }
    record.copy_out(&bytes);
    Ok(())
}
