//! Conclaves, XNU's side: which task each is attached to, and the calls
//! to its manager (`exclaves/src/bin/conclave_manager.rs`), the authority
//! on its state (tightbeam `conclave`).
//!
//! - A task is attached by `posix_spawn` with the conclave's id (its
//!   CONCLAVE_MANAGER resource's, in the kernel domain), if the spawner is
//!   entitled to `conclave-spawn` and the program to `conclave-host`; a
//!   conclave serves one task at a time.
//! - The attached task launches it (LAUNCH_CONCLAVE) and sees its domain;
//!   it, or the task that attached it, suspends, resumes and stops it, and
//!   reads its crash info (EXCLAVES_CONCLAVE_CTL, ours); anyone reads its
//!   status.
//! - When the task dies, XNU suspends, then stops, then detaches it.
//! - XNU calls a conclave's services only while it runs, as XNU last heard:
//!   a call to a conclave that is not running would never be answered.

use alloc::vec::Vec;

use exclaves_table::{Backing, ResourceType, Table};
use sel4_microkit::{memory_region_symbol, MemoryRegion};
use tightbeam::conclave::{crash_page, refusal, ConclaveStatus, Control, State};
use tightbeam::{decode_reply, encode_request, ErrorCode, Received, Reply, Request, MESSAGE_BYTES};
use tightbeam_channel::Endpoint;
use xnu_abi::errno::*;

use crate::tasks::Pid;

pub struct Conclave {
    /// Its domain, `conclave.<name>`, and its manager resource's id.
    pub domain: &'static str,
    pub id: u64,
    manager: Endpoint,
    /// The manager's crash page for it, read-only (`xnu_crash_page_<channel>`).
    crash: Option<MemoryRegion>,
    /// XNU's channel its manager notifies on (its NOTIFICATION's).
    pub events: Option<u32>,
    /// The task it serves, and the task that attached it.
    pub owner: Option<Pid>,
    spawner: Option<Pid>,
    /// Whether it runs, as the manager last said.
    pub running: bool,
    /// The stop upcalls XNU has acted on.
    stops_seen: u32,
}

#[derive(Default)]
pub struct Conclaves {
    list: Vec<Conclave>,
}

/// EXCLAVES_CONCLAVE_CTL's operations (xnu_abi::bsd).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Status,
    Suspend,
    Resume,
    Stop,
}

impl Conclaves {
    /// The conclaves of the table XNU booted: each CONCLAVE_MANAGER of the
    /// kernel domain whose channel has an endpoint.
    pub fn boot(table: &Table<'static>, endpoint: impl Fn(u32) -> Option<Endpoint>) -> Conclaves {
        let Some(kernel) = table.domain("kernel") else { return Conclaves::default() };
        let list = kernel
            .resources()
            .filter(|r| r.connected && r.kind == ResourceType::ConclaveManager)
            .filter_map(|r| {
                let Backing::Channel(channel) = r.backing else { return None };
                let events = table
                    .domain(r.name)
                    .and_then(|d| d.resources().find(|n| n.connected && n.kind == ResourceType::Notification))
                    .and_then(|n| match n.backing {
                        Backing::Channel(c) => Some(c),
                        _ => None,
                    });
                Some(Conclave {
                    domain: r.name,
                    id: r.id,
                    manager: endpoint(channel)?,
                    crash: crash_page(channel),
                    events,
                    owner: None,
                    spawner: None,
                    running: false,
                    stops_seen: 0,
                })
            })
            .collect();
        Conclaves { list }
    }

    /// The conclave task `pid` is attached to: its domain and whether it runs.
    pub fn of_owner(&self, pid: Pid) -> Option<(&'static str, bool)> {
        self.list.iter().find(|c| c.owner == Some(pid)).map(|c| (c.domain, c.running))
    }

    /// The conclave of `id` if no task is attached to it (an index).
    pub fn attachable(&self, id: u32) -> Result<usize, u64> {
        let index = self.list.iter().position(|c| c.id == u64::from(id)).ok_or(ENOENT)?;
        if self.list[index].owner.is_some() {
            return Err(EBUSY);
        }
        Ok(index)
    }

    pub fn attach(&mut self, index: usize, owner: Pid, spawner: Pid) {
        if let Some(c) = self.list.get_mut(index) {
            (c.owner, c.spawner) = (Some(owner), Some(spawner));
        }
    }

    /// LAUNCH_CONCLAVE by task `pid`: its conclave starts from a clean image.
    pub fn launch(&mut self, pid: Pid) -> u64 {
        use xnu_abi::kern::*;
        let Some(c) = self.list.iter_mut().find(|c| c.owner == Some(pid)) else { return KERN_INVALID_ARGUMENT };
        match c.call(&Request::Launch(Control)) {
            Ok(status) => {
                c.running = status.state == State::Running;
                KERN_SUCCESS
            }
            Err(_) => KERN_FAILURE,
        }
    }

    /// The conclave `id` names (0: the caller's own), for task `pid`; a
    /// control operation only for its owner or the task that attached it.
    fn find(&mut self, pid: Pid, id: u32, control: bool) -> Result<&mut Conclave, u64> {
        let c = match id {
            0 => self.list.iter_mut().find(|c| c.owner == Some(pid)),
            id => self.list.iter_mut().find(|c| c.id == u64::from(id)),
        }
        .ok_or(ENOENT)?;
        if control && c.owner != Some(pid) && (c.owner.is_none() || c.spawner != Some(pid)) {
            return Err(EPERM);
        }
        Ok(c)
    }

    /// EXCLAVES_CONCLAVE_CTL: the conclave's status after `op`, and its owner.
    pub fn control(&mut self, pid: Pid, id: u32, op: Op) -> Result<(ConclaveStatus, Option<Pid>), u64> {
        let c = self.find(pid, id, op != Op::Status)?;
        let request = match op {
            Op::Status => Request::Status(Control),
            Op::Suspend => Request::Suspend(Control),
            Op::Resume => Request::Resume(Control),
            Op::Stop => Request::Stop(Control),
        };
        let status = c.call(&request).map_err(|e| match e {
            Some(code) if code == refusal::WRONG_STATE => EINVAL,
            _ => EIO,
        })?;
        c.running = status.state == State::Running;
        Ok((status, c.owner))
    }

    /// The conclave's crash page, for its owner or the task that attached it.
    pub fn crash_info(&mut self, pid: Pid, id: u32, out: &mut [u8]) -> Result<usize, u64> {
        let c = self.find(pid, id, true)?;
        let page = c.crash.ok_or(ENOENT)?;
        let info = match c.call_raw(&Request::CrashInfo(Control)) {
            Ok(Reply::Crash(info)) => info,
            Err(Some(code)) if code == refusal::NO_CRASH => return Err(ENOENT),
            _ => return Err(EIO),
        };
        let len = (info.len as usize).min(crash_page::BYTES).min(out.len());
        page.read(0, &mut out[..len]).map_err(|_| EIO)?;
        Ok(len)
    }

    /// Task `pid` died: its conclave is suspended, stopped and detached.
    pub fn owner_gone(&mut self, pid: Pid) {
        for c in self.list.iter_mut().filter(|c| c.owner == Some(pid)) {
            // Each refused where the state does not allow it: no matter.
            let _ = c.call(&Request::Suspend(Control));
            let _ = c.call(&Request::Stop(Control));
            (c.owner, c.spawner, c.running) = (None, None, false);
        }
        for c in self.list.iter_mut().filter(|c| c.spawner == Some(pid)) {
            c.spawner = None;
        }
    }

    /// The manager notified on `channel`: the conclave's state again, and
    /// the task to stop if the conclave asked (the stop upcall).
    pub fn manager_notified(&mut self, channel: u32) -> Option<Pid> {
        let c = self.list.iter_mut().find(|c| c.events == Some(channel))?;
        let status = c.call(&Request::Status(Control)).ok()?;
        c.running = status.state == State::Running;
        let stop = status.stop_requests != c.stops_seen;
        c.stops_seen = status.stop_requests;
        if stop {
            c.owner
        } else {
            None
        }
    }
}

impl Conclave {
    /// A control call answered with a status; `Err(Some(code))` for the
    /// manager's refusal, `Err(None)` for no answer in its protocol.
    fn call(&self, request: &Request<'_>) -> Result<ConclaveStatus, Option<ErrorCode>> {
        match self.call_raw(request)? {
            Reply::Conclave(status) => Ok(status),
            _ => Err(None),
        }
    }

    fn call_raw(&self, request: &Request<'_>) -> Result<Reply<'static>, Option<ErrorCode>> {
        let mut m = [0u8; MESSAGE_BYTES];
        encode_request(request, &mut m).map_err(|_| None)?;
        let mut reply = [0u8; MESSAGE_BYTES];
        self.manager.call(&m, &mut reply).map_err(|_| None)?;
        let received = Received::copy_from(&reply).map_err(|_| None)?;
        match decode_reply(&received, request.method()).map_err(|_| None)? {
            Ok(Reply::Conclave(s)) => Ok(Reply::Conclave(s)),
            Ok(Reply::Crash(c)) => Ok(Reply::Crash(c)),
            Ok(_) => Err(None),
            Err(code) => Err(Some(code)),
        }
    }
}

/// The crash page of the conclave whose manager is on XNU's `channel`.
fn crash_page(channel: u32) -> Option<MemoryRegion> {
    let pages = [(9, memory_region_symbol!(xnu_crash_page_9, crash_page::BYTES))];
    pages.into_iter().find(|(c, _)| *c == channel).and_then(|(_, p)| p.ok())
}
