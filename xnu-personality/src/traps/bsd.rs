//! The BSD table: positive trap numbers. Errors are errno values with the
//! carry flag set (ABI.md).
use alloc::vec::Vec;

use sel4_microkit::TrapResult;
use xnu_abi::bsd;
use xnu_abi::errno::*;
use xnu_abi::proc::{RECORD_BYTES, STATE_BLOCKED, STATE_RUNNING, STATE_ZOMBIE};
use xnu_abi::signal::NSIG;
use xnu_abi::spawn::{SpawnAttr, ATTR_VERSION, MAX_ARGS, NO_CONCLAVE};
use xnu_abi::wait::{exited, signaled, WNOHANG};

use super::{Call, Outcome};
use crate::kernel::Kernel;
use crate::ports::Carried;
use crate::tasks::{Pid, State};
use crate::vm::{copy_in_str, Access, StrError, USlice};
use crate::wait::Wait;

/// The longest path or argument string a task may pass.
const MAX_STRING: usize = 1024;
/// Bytes one console write takes at most (the rest is the caller's to retry).
const MAX_WRITE: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    Exit,
    Read,
    Write,
    Wait4,
    Getpid,
    Kill,
    PosixSpawn,
    ThreadSelfid,
    ProcList,
    PromptTick,
    ExclavesList,
    NotificationWait,
    ConclaveCtl,
}

impl TryFrom<i64> for Number {
    type Error = ();
    fn try_from(n: i64) -> Result<Self, ()> {
        Ok(match n {
            bsd::EXIT => Number::Exit,
            bsd::READ => Number::Read,
            bsd::WRITE => Number::Write,
            bsd::WAIT4 => Number::Wait4,
            bsd::GETPID => Number::Getpid,
            bsd::KILL => Number::Kill,
            bsd::POSIX_SPAWN => Number::PosixSpawn,
            bsd::THREAD_SELFID => Number::ThreadSelfid,
            bsd::PROC_LIST => Number::ProcList,
            bsd::PROMPT_TICK => Number::PromptTick,
            bsd::EXCLAVES_LIST => Number::ExclavesList,
            bsd::EXCLAVES_NOTIFICATION_WAIT => Number::NotificationWait,
            bsd::EXCLAVES_CONCLAVE_CTL => Number::ConclaveCtl,
            _ => return Err(()),
        })
    }
}

type BsdResult = Result<Outcome, u64>;

fn ok(value: u64) -> BsdResult {
    Ok(Outcome::Reply(TrapResult::ok(value)))
}

pub fn dispatch(k: &mut Kernel, call: &Call, number: i64) -> Outcome {
    let Ok(number) = Number::try_from(number) else {
        return Outcome::Reply(TrapResult::errno(ENOSYS));
    };
    let result = match number {
        Number::Exit => exit(k, call),
        Number::Read => read(k, call),
        Number::Write => write(k, call),
        Number::Wait4 => wait4(k, call),
        Number::Getpid => ok(u64::from(call.pid)),
        Number::Kill => kill(k, call),
        Number::PosixSpawn => posix_spawn(k, call),
        Number::ThreadSelfid => ok(k.tasks.get(call.pid).map_or(0, |t| t.tid)),
        Number::ProcList => proc_list(k, call),
        Number::PromptTick => ok(k.console.first_wait.unwrap_or(0)),
        Number::ExclavesList => exclaves_list(k, call),
        Number::NotificationWait => super::exclaves::notification_wait(k, call),
        Number::ConclaveCtl => super::exclaves::conclave_ctl(k, call),
    };
    result.unwrap_or_else(|errno| Outcome::Reply(TrapResult::errno(errno)))
}

fn exit(k: &mut Kernel, call: &Call) -> BsdResult {
    k.terminate(call.pid, exited(call.args[0]));
    Ok(Outcome::Gone)
}

fn uslice<T: crate::vm::Plain>(k: &Kernel, call: &Call, addr: u64, count: u64, access: Access) -> Result<USlice<T>, u64> {
    USlice::new(&k.mem[call.slot], addr, count, access).map_err(|_| EFAULT)
}

fn read(k: &mut Kernel, call: &Call) -> BsdResult {
    let [fd, addr, len, ..] = call.args;
    if fd != 0 {
        return Err(EBADF);
    }
    let buf = uslice::<u8>(k, call, addr, len, Access::Write)?;
    if buf.len() == 0 {
        return ok(0);
    }
    if !k.console.has_input() {
        k.console.first_wait.get_or_insert_with(crate::time::now);
        return Ok(Outcome::Block(Wait::ConsoleRead { buf }));
    }
    ok(deliver_input(k, buf))
}

/// Copies waiting console input into `buf`; the byte count.
pub fn deliver_input(k: &mut Kernel, buf: USlice<u8>) -> u64 {
    let bytes = k.console.take(buf.len());
    buf.copy_out(&bytes);
    bytes.len() as u64
}

fn write(k: &mut Kernel, call: &Call) -> BsdResult {
    let [fd, addr, len, ..] = call.args;
    if fd != 1 && fd != 2 {
        return Err(EBADF);
    }
    // The whole range is checked, then at most MAX_WRITE bytes go.
    let buf = uslice::<u8>(k, call, addr, len, Access::Read)?.prefix(MAX_WRITE as usize);
    let mut bytes = alloc::vec![0; buf.len()];
    buf.copy_in(&mut bytes);
    // The driver drains its ring at each notification (it runs above XNU),
    // so a short count is rare; none taken at all is EAGAIN, to retry.
    match k.console.write(&bytes) {
        0 if !bytes.is_empty() => Err(EAGAIN),
        taken => ok(taken as u64),
    }
}

fn wait4(k: &mut Kernel, call: &Call) -> BsdResult {
    let [pid, status_addr, options, ..] = call.args;
    let pid = pid as i64;
    // Process groups (0, < -1) are not kept; WNOHANG is the only option.
    if pid == 0 || pid < -1 || options & !WNOHANG != 0 {
        return Err(EINVAL);
    }
    let status = match status_addr {
        0 => None,
        addr => Some(uslice::<u32>(k, call, addr, 1, Access::Write)?),
    };
    let mine = |t: &&crate::tasks::Task| pid == -1 || i64::from(t.pid) == pid;
    let mut children = k.tasks.children(call.pid).filter(mine).peekable();
    if children.peek().is_none() {
        return Err(ECHILD);
    }
    let zombie = children.find(|t| matches!(t.state, State::Zombie { .. })).map(|t| t.pid);
    drop(children);
    match zombie {
        Some(z) => ok(u64::from(k.reap(z, status))),
        None if options & WNOHANG != 0 => ok(0),
        None => Ok(Outcome::Block(Wait::Child { pid, status })),
    }
}

fn kill(k: &mut Kernel, call: &Call) -> BsdResult {
    let [pid, signal, ..] = call.args;
    let signal = u32::try_from(signal).ok().filter(|&s| s < NSIG).ok_or(EINVAL)?;
    let pid = Pid::try_from(pid).map_err(|_| EINVAL)?;
    let target = k.tasks.get(pid).filter(|t| !matches!(t.state, State::Zombie { .. })).ok_or(ESRCH)?;
    if signal == 0 {
        return ok(0);
    }
    // launchd keeps the system up: nobody may end it.
    if target.pid == 1 {
        return Err(EPERM);
    }
    // No task handles signals: every one ends its target.
    k.terminate(pid, signaled(signal));
    if pid == call.pid {
        Ok(Outcome::Gone)
    } else {
        ok(0)
    }
}

/// A string argument; `too_long` is the errno for one with no NUL in reach.
fn string(k: &Kernel, call: &Call, addr: u64, too_long: u64) -> Result<Vec<u8>, u64> {
    copy_in_str(&k.mem[call.slot], addr, MAX_STRING).map_err(|e| match e {
        StrError::Fault(_) => EFAULT,
        StrError::TooLong => too_long,
    })
}

/// posix_spawn(pid *, path, attr *, argv, envp): see ABI.md.
fn posix_spawn(k: &mut Kernel, call: &Call) -> BsdResult {
    let [pid_addr, path_addr, attr_addr, argv_addr, _envp, ..] = call.args;
    let pid_out = match pid_addr {
        0 => None,
        addr => Some(uslice::<u32>(k, call, addr, 1, Access::Write)?),
    };
    let path = string(k, call, path_addr, ENAMETOOLONG)?;
    let attr = match attr_addr {
        0 => SpawnAttr { version: ATTR_VERSION, ..Default::default() },
        addr => read_attr(k, call, addr)?,
    };
    if attr.version != ATTR_VERSION || attr.flags != 0 {
        return Err(EINVAL);
    }
    // A conclave to attach the child to: the spawner must be entitled to
    // attach, the program to host, and the conclave free.
    let conclave = match attr.conclave_id {
        NO_CONCLAVE => None,
        id => {
            use exclaves_table::Entitlements;
            let spawner = super::exclaves::caller(k, call.pid);
            let name = crate::kernel::program_name(&path).ok_or(ENOENT)?;
            if !spawner.entitled(Entitlements::CONCLAVE_SPAWN) || !k.exclaves.program_entitlements(name).has(Entitlements::CONCLAVE_HOST) {
                return Err(EPERM);
            }
            Some(k.conclaves.attachable(id)?)
        }
    };
    let mut args = Vec::new();
    if argv_addr != 0 {
        for i in 0..=MAX_ARGS as u64 {
            let at = argv_addr.checked_add(i * 8).ok_or(EFAULT)?;
            let ptr = uslice::<u64>(k, call, at, 1, Access::Read)?.read().unwrap_or(0);
            if ptr == 0 {
                break;
            }
            if i == MAX_ARGS as u64 {
                return Err(E2BIG);
            }
            args.push(string(k, call, ptr, E2BIG)?);
        }
    }
    if args.is_empty() {
        args.push(path.clone());
    }
    let bootstrap = match attr.bootstrap_port {
        0 => None,
        name => {
            let space = &k.tasks.get(call.pid).ok_or(ESRCH)?.space;
            let port = space.send_port(name).or_else(|| space.receive_port(name)).ok_or(EINVAL)?;
            Some(Carried::Send(port))
        }
    };
    let child = k.spawn(call.pid, &path, &args, bootstrap)?;
    if let Some(index) = conclave {
        k.conclaves.attach(index, child, call.pid);
    }
    if let Some(out) = pid_out {
        out.write(child);
    }
    ok(0)
}

fn read_attr(k: &Kernel, call: &Call, addr: u64) -> Result<SpawnAttr, u64> {
    let words = uslice::<u32>(k, call, addr, 4, Access::Read)?;
    let mut b = [0u8; 16];
    words.copy_in(&mut b);
    let w = |i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    Ok(SpawnAttr { version: w(0), flags: w(1), conclave_id: w(2), bootstrap_port: w(3) })
}

/// proc_list(buf, len): a record per task (ABI.md); the task count.
fn proc_list(k: &mut Kernel, call: &Call) -> BsdResult {
    let [addr, len, ..] = call.args;
    let buf = uslice::<u8>(k, call, addr, len, Access::Write)?;
    let mut out = Vec::new();
    for t in k.tasks.by_pid.values() {
        let state = match t.state {
            State::Running => STATE_RUNNING,
            State::Blocked { .. } => STATE_BLOCKED,
            State::Zombie { .. } => STATE_ZOMBIE,
        };
        let slot = t.slot.map_or(u32::MAX, |s| s as u32);
        for word in [t.pid, t.ppid, state, slot] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        let mut name = [0u8; xnu_abi::proc::NAME_BYTES];
        let n = t.name.len().min(name.len() - 1);
        name[..n].copy_from_slice(&t.name.as_bytes()[..n]);
        out.extend_from_slice(&name);
    }
    let whole = buf.len() / RECORD_BYTES * RECORD_BYTES;
    buf.copy_out(&out[..out.len().min(whole)]);
    ok(k.tasks.by_pid.len() as u64)
}

/// exclaves_list(buf, len): the resource records that fit; the count.
fn exclaves_list(k: &mut Kernel, call: &Call) -> BsdResult {
    let [addr, len, ..] = call.args;
    let buf = uslice::<u8>(k, call, addr, len, Access::Write)?;
    let records = k.exclaves.list().ok_or(ENOENT)?;
    let record = xnu_abi::exclaves::LIST_RECORD_BYTES;
    let whole = buf.len() / record * record;
    buf.copy_out(&records[..records.len().min(whole)]);
    ok((records.len() / record) as u64)
}
