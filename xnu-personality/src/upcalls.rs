//! ENDPOINT_CALLs to a service that makes upcalls (secure storage), and
//! XNU's side of those upcalls: the object store on its disk.
//!
//! Such a call runs as a conversation on the service's channel: XNU calls
//! with the task's message; the service answers with its reply, or with an
//! upcall (`tightbeam_channel::UPCALL`) in its upcall page, which XNU serves
//! and answers with a call of `UPCALL_DONE`, until the reply comes. XNU
//! serves the caller's data in and out itself (between the task's data
//! buffer, x5 and x6 of its trap, and the service's `storage_in` and
//! `storage_out`), and the rest from its object store (`xnu_objstore`,
//! through the disk when it must). The task waits meanwhile; one
//! conversation runs at a time, and the others' tasks queue
//! (`Wait::Service`) in the order they came.

use alloc::boxed::Box;

use sel4_microkit::{memory_region_symbol, MemoryRegion, TrapResult};
use tightbeam::storage::{upcall_refusal, Count};
use tightbeam::{decode_request, encode_reply, error_reply, ErrorCode, Received, Reply, Request, MESSAGE_BYTES};
use tightbeam_channel::{CALL_LABEL, REPLIED, UPCALL, UPCALL_DONE};
use xnu_abi::kern::*;
use xnu_objstore::{Action, Store, EXTENT_BYTES};

use crate::disk::Disk;
use crate::exclaves::{Caller, Route};
use crate::kernel::Kernel;
use crate::tasks::{Pid, State};
use crate::traps::{ExclavesArgs, Outcome};
use crate::vm::{Access, USlice};
use crate::wait::Wait;

/// The upcall buffers' and the caller's data buffers' sizes in system.xml.
const UPCALL_BUFFER_BYTES: usize = 0x5000;
const CALLER_BUFFER_BYTES: usize = 0x4000;
const _: () = assert!(EXTENT_BYTES <= UPCALL_BUFFER_BYTES);

pub struct Upcalls {
    /// `None` if there is no disk: every upcall that needs it fails.
    disk: Option<Disk>,
    store: Store,
    /// The service's buffers: what it sends (read-only to XNU), and what
    /// XNU reads for it.
    blob_out: Option<MemoryRegion>,
    blob_in: Option<MemoryRegion>,
    /// Where the caller's data goes in (XNU writes it) and comes out.
    caller_in: Option<MemoryRegion>,
    caller_out: Option<MemoryRegion>,
    call: Option<Conversation>,
}

/// The conversation under way: whose call, to which service, the task's
/// message buffer, and the header of the upcall being served.
struct Conversation {
    pid: Pid,
    slot: usize,
    caller: Caller,
    id: u64,
    message: USlice<u8>,
    /// The task's data buffer: its address and size, checked when used.
    data: (u64, u64),
    upcall: tightbeam::Header,
}

/// How the conversation goes on: the service answered a call (its reply
/// label, or the call failed), or XNU served an upcall.
enum Next {
    Answer(Result<u64, tightbeam_channel::Error>),
    Served(Action),
}

impl Upcalls {
    /// With the disk, if it opens (what went wrong goes to `log`).
    pub fn new(log: &mut impl core::fmt::Write) -> Self {
        let disk = match Disk::open() {
            Ok(disk) => Some(disk),
            Err(why) => {
                let _ = writeln!(log, "disk: {why}; storage upcalls will fail");
                None
            }
        };
        let blob_out = memory_region_symbol!(upcall_out, UPCALL_BUFFER_BYTES).ok();
        let blob_in = memory_region_symbol!(upcall_in, UPCALL_BUFFER_BYTES).ok();
        let caller_in = memory_region_symbol!(caller_in, CALLER_BUFFER_BYTES).ok();
        let caller_out = memory_region_symbol!(caller_out, CALLER_BUFFER_BYTES).ok();
        Upcalls { disk, store: Store::new(), blob_out, blob_in, caller_in, caller_out, call: None }
    }

    fn serve(&mut self, upcall: &tightbeam::Request<'_>) -> Action {
        let Some((data, out, _)) = areas(&mut self.disk, self.blob_out, self.blob_in) else { return Action::Reply(Err(upcall_refusal::IO)) };
        let action = self.store.serve(upcall, data, out);
        self.start(action)
    }

    /// Starts a transfer the store asked for; one the disk refuses ends
    /// the upcall as the store decides.
    fn start(&mut self, action: Action) -> Action {
        let Action::Transfer(t) = action else { return action };
        match self.disk.as_mut().map(|d| d.start(t)) {
            Some(Ok(())) => action,
            _ => self.transfer_done(false),
        }
    }

    fn transfer_done(&mut self, ok: bool) -> Action {
        let Some((data, out, inb)) = areas(&mut self.disk, self.blob_out, self.blob_in) else { return Action::Reply(Err(upcall_refusal::IO)) };
        let action = self.store.io_done(ok, data, out, inb);
        self.start(action)
    }
}

/// The disk's data area and the buffers as slices.
///
/// The service writes `upcall_out` only while XNU calls it, and XNU is
/// single-threaded on one core: no one changes these bytes while the
/// slices live.
fn areas(disk: &mut Option<Disk>, out: Option<MemoryRegion>, inb: Option<MemoryRegion>) -> Option<(&mut [u8], &[u8], &mut [u8])> {
    let (out, inb) = (out?, inb?);
    let data = disk.as_mut()?.data()?;
    // SAFETY: both regions are mapped for XNU's life (readable; upcall_in
    // writable), `size()` long, and distinct from the DMA region; see above.
    let (out, inb) = unsafe {
        (core::slice::from_raw_parts(out.base().cast_const(), out.size()), core::slice::from_raw_parts_mut(inb.base(), inb.size()))
    };
    Some((data, out, inb))
}

/// ENDPOINT_CALL(`id`, the 512-byte message at `buffer`) to a service that
/// makes upcalls, by task `pid`; `args` to run it again if it must queue.
pub fn call(k: &mut Kernel, caller: Caller, slot: usize, id: u64, buffer: u64, size: u64, args: &ExclavesArgs) -> Outcome {
    let reply = |code| Outcome::Reply(TrapResult::ok(code));
    if size != MESSAGE_BYTES as u64 {
        return reply(KERN_INVALID_ARGUMENT);
    }
    let Ok(message) = USlice::<u8>::new(&k.mem[slot], buffer, size, Access::Write) else { return reply(KERN_INVALID_ADDRESS) };
    if k.upcalls.call.is_some() {
        return Outcome::Block(Wait::Service { args: Box::new(*args) });
    }
    let answer = match k.exclaves.route(&caller, id) {
        Ok(Route::Upcalls(endpoint, _)) => {
            // SAFETY: the page is mapped for XNU's life and a message long
            // (`Endpoint::new`); the slice is 512 bytes of the task's memory.
            unsafe { message.copy_to_shared(endpoint.page().base()) };
            endpoint.call_labelled(CALL_LABEL)
        }
        Ok(Route::Direct(_)) => return reply(KERN_FAILURE),
        Err(code) => return reply(code),
    };
    let data = (args[5], args[6]);
    k.upcalls.call = Some(Conversation { pid: caller.pid, slot, caller, id, message, data, upcall: tightbeam::Header::default() });
    match advance(k, Next::Answer(answer)) {
        Some(result) => reply(result),
        None => Outcome::Block(Wait::Service { args: Box::new(*args) }),
    }
}

/// The disk's interrupt: the conversation waiting on it goes on.
pub fn disk_interrupt(k: &mut Kernel) {
    let Some(ok) = k.upcalls.disk.as_mut().and_then(Disk::interrupt) else { return };
    let action = k.upcalls.transfer_done(ok);
    if k.upcalls.call.is_none() {
        return;
    }
    let pid = k.upcalls.call.as_ref().map(|c| c.pid);
    if let (Some(result), Some(pid)) = (advance(k, Next::Served(action)), pid) {
        k.finish(pid, TrapResult::ok(result));
        start_next(k);
    }
}

/// Runs the conversation on until it waits for the disk (`None`) or ends:
/// the call's result, the reply in the task's buffer if it still lives.
fn advance(k: &mut Kernel, mut next: Next) -> Option<u64> {
    loop {
        let conversation = k.upcalls.call.as_ref()?;
        let (caller, id) = (conversation.caller, conversation.id);
        let Ok(Route::Upcalls(endpoint, upcall_page)) = k.exclaves.route(&caller, id) else { return Some(end(k, KERN_FAILURE)) };
        let action = match next {
            Next::Answer(Ok(REPLIED)) => {
                let alive = k.tasks.get(caller.pid).is_some_and(|t| !matches!(t.state, State::Zombie { .. }));
                if alive {
                    // SAFETY: as in `call`; the task still owns its slot.
                    unsafe { conversation.message.copy_from_shared(endpoint.page().base()) };
                }
                return Some(end(k, KERN_SUCCESS));
            }
            Next::Answer(Ok(UPCALL)) => {
                let mut bytes = [0u8; MESSAGE_BYTES];
                let _ = upcall_page.read(0, &mut bytes);
                let Ok(received) = Received::copy_from(&bytes) else { return Some(end(k, KERN_FAILURE)) };
                let header = received.header();
                if let Some(c) = k.upcalls.call.as_mut() {
                    c.upcall = header;
                }
                match decode_request(&received) {
                    Ok(Request::CallerIn(Count { len })) => Action::Reply(caller_data(k, Way::In, len)),
                    Ok(Request::CallerOut(Count { len })) => Action::Reply(caller_data(k, Way::Out, len)),
                    Ok(upcall) => k.upcalls.serve(&upcall),
                    Err(e) => Action::Reply(Err(e.code())),
                }
            }
            Next::Answer(_) => return Some(end(k, KERN_FAILURE)),
            Next::Served(action) => action,
        };
        match action {
            Action::Transfer(_) => return None,
            Action::Reply(result) => {
                let header = k.upcalls.call.as_ref().map(|c| c.upcall).unwrap_or_default();
                let mut out = [0u8; MESSAGE_BYTES];
                let method = tightbeam::MethodId::find(header.service.get(), header.method.get());
                let encoded = match (result, method) {
                    (Ok(reply), Ok(method)) => encode_reply(method, &reply, &mut out).is_ok(),
                    _ => false,
                };
                if !encoded {
                    error_reply(&header, result.err().unwrap_or(ErrorCode::INTERNAL), &mut out);
                }
                if upcall_page.write(0, &out).is_err() {
                    return Some(end(k, KERN_FAILURE));
                }
                next = Next::Answer(endpoint.call_labelled(UPCALL_DONE));
            }
        }
    }
}

/// Which way the caller's data moves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    /// The task's buffer to `storage_in`.
    In,
    /// `storage_out` to the task's buffer.
    Out,
}

/// Serves the caller-in or caller-out upcall: `len` bytes between the
/// calling task's data buffer and the service's buffer, if the task still
/// lives and its buffer is that long.
fn caller_data(k: &Kernel, way: Way, len: u32) -> Result<Reply<'static>, ErrorCode> {
    let Some(c) = k.upcalls.call.as_ref() else { return Err(upcall_refusal::IO) };
    let alive = k.tasks.get(c.pid).is_some_and(|t| t.slot == Some(c.slot) && !matches!(t.state, State::Zombie { .. }));
    let (addr, size) = c.data;
    if !alive || len as usize > CALLER_BUFFER_BYTES {
        return Err(upcall_refusal::IO);
    }
    if u64::from(len) > size {
        return Err(upcall_refusal::CALLER_BUFFER);
    }
    let access = if way == Way::In { Access::Read } else { Access::Write };
    let task = USlice::<u8>::new(&k.mem[c.slot], addr, u64::from(len), access).map_err(|_| upcall_refusal::CALLER_BUFFER)?;
    let region = if way == Way::In { k.upcalls.caller_in } else { k.upcalls.caller_out };
    let region = region.ok_or(upcall_refusal::IO)?;
    // SAFETY: the region is mapped for XNU's life (writable for `caller_in`),
    // at least CALLER_BUFFER_BYTES long, and `len` is no more than that.
    match way {
        Way::In => unsafe { task.copy_to_shared(region.base()) },
        Way::Out => unsafe { task.copy_from_shared(region.base()) },
    }
    Ok(Reply::Count(Count { len }))
}

/// The conversation is over with `result`.
fn end(k: &mut Kernel, result: u64) -> u64 {
    k.upcalls.call = None;
    result
}

/// The first queued call, if any, starts (and ends at once, or waits),
/// unless a conversation is under way.
pub fn start_next(k: &mut Kernel) {
    while k.upcalls.call.is_none() {
        let queued = k.tasks.by_pid.values().find_map(|t| match (&t.state, t.slot) {
            (State::Blocked { wait: Wait::Service { args }, .. }, Some(slot)) => Some((t.pid, slot, **args)),
            _ => None,
        });
        let Some((pid, slot, args)) = queued else { return };
        let caller = crate::traps::exclaves_caller(k, pid);
        match call(k, caller, slot, args[2], args[3], args[4], &args) {
            Outcome::Reply(result) => k.finish(pid, result),
            // It is the conversation now.
            _ => return,
        }
    }
}
