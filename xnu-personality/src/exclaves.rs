//! XNU's exclaves subsystem, part 1: the `exclaves_ctl` trap's gate, BOOT
//! (the resource table and the hello probe), LOOKUP_SERVICES and
//! ENDPOINT_CALL. The table (from manifests/ and system.xml) fills a region
//! `system.xml` maps read-only into XNU; XNU checks it at EXCLAVECORE like
//! any input. A service is reached by the channel the
//! table names and XNU's message page on it (`support/tightbeam-channel`).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sel4_microkit::{memory_region_symbol, Channel, MemoryRegion};
use tightbeam::hello::{Hello, HelloReply};
use tightbeam::{decode_reply, encode_request, ErrorCode, MethodId, Received, Reply, Request};
use tightbeam_channel::{Endpoint, PAGE_BYTES};
use exclaves_table::{Backing, Entitlements, ResourceType, SensorKind, Table};
use xnu_abi::exclaves::*;
use xnu_abi::kern::*;

use crate::ports::PortId;
use crate::vm::USlice;

/// The region `system.xml` fills with the table the build made
/// (`exclaves-manifest build`), mapped read-only: its size there.
const TABLE_REGION_BYTES: usize = 0x4000;

/// The domain of every task (conclave tasks come with part 3).
const TASK_DOMAIN: &str = "darwin";
const KERNEL_DOMAIN: &str = "kernel";
/// The boot probe: the kernel domain's service of this name.
const PROBE: &str = "hello";
/// XNU's channel ids that may reach services, each with its message page.
const FIRST_SERVICE_CHANNEL: u32 = 3;
const SERVICE_CHANNELS: usize = 10;
/// The indicator controller's channel (system.xml): XNU asks it about
/// sensors for its tasks; it is no resource tasks can call.
const INDICATOR_CHANNEL: u32 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Nothing booted yet.
    None,
    ExclaveCore,
    ExclaveKit,
    Failed,
}

pub struct Exclaves {
    pub stage: Stage,
    booted: Option<Box<Booted>>,
    pages: [Option<MemoryRegion>; SERVICE_CHANNELS],
    /// The upcall page of each service channel whose service makes
    /// upcalls (`xnu_upcall_page_<channel>`; `crate::upcalls`).
    upcall_pages: [Option<MemoryRegion>; SERVICE_CHANNELS],
    /// The events page of each channel a NOTIFICATION may come on
    /// (`xnu_events_page_<channel>`, `tightbeam::events`).
    events_pages: [(u32, Option<MemoryRegion>); NOTIFICATION_CHANNELS],
}

/// XNU's channel ids a NOTIFICATION may come on: the demo conclave's
/// manager's (9), and 13 to 15.
pub const NOTIFICATION_CHANNELS: usize = 4;

/// What EXCLAVECORE makes of the checked table: the table itself (the root
/// of domains, then (name, type) within each, for lookups by name), and the
/// route of each service id in the two domains a task reaches, so that an
/// ENDPOINT_CALL finds its endpoint by index.
struct Booted {
    table: Table<'static>,
    task_services: Routes,
    kernel_services: Routes,
    /// Each service channel's endpoint, with the channel id.
    endpoints: Vec<(u32, Endpoint)>,
    /// The named buffers of the task domains; a handle names one by index.
    buffers: Vec<Buffer>,
    /// The sensors of the task domains: (domain, name, kind).
    sensors: Vec<(&'static str, &'static str, SensorKind)>,
    /// The indicator controller, if system.xml has it.
    indicator: Option<Endpoint>,
    /// The services of each conclave's domain, by id.
    conclave_services: Vec<(&'static str, Routes)>,
    /// The NOTIFICATION resources of the task domains, and each handle's
    /// source and pending events.
    sources: Vec<Source>,
    notification_handles: BTreeMap<PortId, (usize, u64)>,
}

/// Where a NOTIFICATION's events come from: its channel and events page,
/// and the counts last read there.
struct Source {
    domain: &'static str,
    name: &'static str,
    channel: u32,
    page: MemoryRegion,
    seen: [u64; tightbeam::events::EVENTS],
}

/// What the indicator controller answered: a status or deadline, or its
/// refusal.
pub type Answer = Result<u64, ErrorCode>;

/// Which way a named-buffer copy goes, from the task's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    /// The task's bytes into the buffer (NAMED_BUFFER_COPYIN).
    In,
    /// The buffer's bytes to the task (NAMED_BUFFER_COPYOUT).
    Out,
}

/// The task's side of a copy's two ranges, made once the checks are past
/// (`None`: not the task's memory).
pub type TaskRanges<'a> = &'a dyn Fn() -> Option<(USlice<u8>, USlice<u8>)>;

/// A named buffer (SHARED_MEMORY) or audio buffer (ARBITRATED_AUDIO_MEMORY)
/// of a task domain, as XNU maps it, and what its handles were made with.
struct Buffer {
    domain: &'static str,
    name: &'static str,
    /// An audio buffer: read only, and copied out only through the
    /// indicator controller's arbitration.
    audio: bool,
    /// XNU's mapping (system.xml): where, how long, and whether writable
    /// (an inbound buffer).
    vaddr: u64,
    size: u64,
    inbound: bool,
    /// While handles exist: the size (whole pages) and perm of the first.
    mapped: Option<(u64, u64)>,
    handles: u32,
}

/// A domain's services by id: an index into `Booted::endpoints`.
type Routes = [Option<u8>; MAX_SERVICE_ID as usize];

/// Who calls: the task, with its program's entitlements (the table's,
/// looked up once per task).
#[derive(Clone, Copy)]
pub struct Caller {
    pub pid: u32,
    entitlements: Entitlements,
    /// The conclave the task is attached to: its domain, and whether it runs.
    pub conclave: Option<(&'static str, bool)>,
}

impl Caller {
    pub fn entitled(&self, bit: u32) -> bool {
        self.entitlements.has(bit)
    }
}

impl Exclaves {
    pub fn new() -> Self {
        let pages = [
            memory_region_symbol!(xnu_tb_page_3, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_4, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_5, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_6, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_7, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_8, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_9, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_10, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_11, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_12, PAGE_BYTES),
        ];
        let upcall_pages = [
            memory_region_symbol!(xnu_upcall_page_3, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_4, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_5, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_6, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_7, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_8, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_9, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_10, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_11, PAGE_BYTES),
            memory_region_symbol!(xnu_upcall_page_12, PAGE_BYTES),
        ];
        let events_pages = [
            (9, memory_region_symbol!(xnu_events_page_9, PAGE_BYTES).ok()),
            (13, memory_region_symbol!(xnu_events_page_13, PAGE_BYTES).ok()),
            (14, memory_region_symbol!(xnu_events_page_14, PAGE_BYTES).ok()),
            (15, memory_region_symbol!(xnu_events_page_15, PAGE_BYTES).ok()),
        ];
        Exclaves {
            stage: Stage::None,
            booted: None,
            pages: pages.map(Result::ok),
            upcall_pages: upcall_pages.map(Result::ok),
            events_pages,
        }
    }

    /// Task `pid` running `program`, whose entitlements `known` holds once
    /// they were looked up (the table's, so from EXCLAVECORE on; before, it
    /// has none).
    pub fn caller(&self, pid: u32, program: &str, known: &mut Option<Entitlements>) -> Caller {
        if let Some(entitlements) = *known {
            return Caller { pid, entitlements, conclave: None };
        }
        let Some(booted) = &self.booted else { return Caller { pid, entitlements: Entitlements::default(), conclave: None } };
        let entitlements = booted.table.entitlements(program).unwrap_or_default();
        *known = Some(entitlements);
        Caller { pid, entitlements, conclave: None }
    }

    /// BOOT: the init task, or a task entitled to boot, raises the stage.
    /// What went wrong at EXCLAVECORE goes to `log`.
    pub fn boot(&mut self, caller: &Caller, stage: u64, log: &mut impl core::fmt::Write) -> u64 {
        // Before EXCLAVECORE there is no table to read entitlements from:
        // only launchd (pid 1) can boot.
        let allowed = caller.pid == 1 || caller.entitlements.has(Entitlements::BOOT);
        if !allowed {
            return KERN_DENIED;
        }
        match (stage, self.stage) {
            (STAGE_EXCLAVECORE, Stage::None) => match self.boot_core() {
                Ok(()) => {
                    self.stage = Stage::ExclaveCore;
                    KERN_SUCCESS
                }
                Err(why) => {
                    let _ = writeln!(log, "exclaves: boot FAILED: {why}");
                    self.stage = Stage::Failed;
                    KERN_FAILURE
                }
            },
            (STAGE_EXCLAVEKIT, Stage::ExclaveCore) => {
                self.stage = Stage::ExclaveKit;
                KERN_SUCCESS
            }
            (STAGE_EXCLAVECORE | STAGE_EXCLAVEKIT, Stage::Failed) => KERN_FAILURE,
            _ => KERN_INVALID_ARGUMENT,
        }
    }

    /// EXCLAVECORE: the table checked, its services routed, then the boot
    /// probe answered.
    fn boot_core(&mut self) -> Result<(), String> {
        let table = Table::parse(table_bytes()?).map_err(|e| format!("the resource table is damaged: {e}"))?;
        let mut endpoints = Vec::new();
        let task_services = self.routes(&table, TASK_DOMAIN, &mut endpoints)?;
        let kernel_services = self.routes(&table, KERNEL_DOMAIN, &mut endpoints)?;
        let buffers = [TASK_DOMAIN, KERNEL_DOMAIN].iter().flat_map(|d| buffers_of(&table, d)).collect();
        let sensors = [TASK_DOMAIN, KERNEL_DOMAIN].iter().flat_map(|d| sensors_of(&table, d)).collect();
        let indicator = self.endpoint(INDICATOR_CHANNEL);
        let conclave_domains: Vec<&'static str> = table.domains().map(|d| d.name()).filter(|n| n.starts_with("conclave.")).collect();
        let mut conclave_services = Vec::new();
        for domain in conclave_domains.iter().copied() {
            conclave_services.push((domain, self.routes(&table, domain, &mut endpoints)?));
        }
        let sources = [TASK_DOMAIN, KERNEL_DOMAIN].iter().chain(&conclave_domains).flat_map(|d| self.sources_of(&table, d)).collect();
        let notification_handles = BTreeMap::new();
        let booted = Box::new(Booted {
            table,
            task_services,
            kernel_services,
            endpoints,
            buffers,
            sensors,
            indicator,
            conclave_services,
            sources,
            notification_handles,
        });
        let probe = booted.table.lookup(KERNEL_DOMAIN, PROBE, ResourceType::Service).ok_or("the kernel domain has no hello service")?;
        let endpoint = booted.kernel_services[probe.id as usize].and_then(|i| booted.endpoints.get(usize::from(i))).ok_or("the hello service has no route")?;
        let mut request = [0u8; MESSAGE_BYTES as usize];
        encode_request(&Request::Hello(Hello), &mut request).map_err(|_| "the probe does not encode")?;
        let mut reply = [0u8; MESSAGE_BYTES as usize];
        endpoint.1.call(&request, &mut reply).map_err(|_| "the hello service did not answer")?;
        let received = Received::copy_from(&reply).map_err(|_| "the probe's reply is not a message")?;
        match decode_reply(&received, MethodId::Hello) {
            Ok(Ok(Reply::Hello(answer))) if answer == HelloReply::EXPECTED => {
                self.booted = Some(booted);
                Ok(())
            }
            _ => Err("the hello service answered something else than its known value".into()),
        }
    }

    /// The connected services of `domain` by id, each channel's endpoint
    /// made once into `endpoints`. A service on a channel without a message
    /// page is a table that does not fit this XNU.
    fn routes(&self, table: &Table<'static>, domain: &str, endpoints: &mut Vec<(u32, Endpoint)>) -> Result<Routes, &'static str> {
        let mut routes: Routes = [None; MAX_SERVICE_ID as usize];
        let Some(domain) = table.domain(domain) else { return Ok(routes) };
        for service in domain.resources().filter(|r| r.connected && r.kind == ResourceType::Service) {
            let Backing::Channel(channel) = service.backing else { return Err("a service is not backed by a channel") };
            let index = match endpoints.iter().position(|(c, _)| *c == channel) {
                Some(index) => index,
                None => {
                    endpoints.push((channel, self.endpoint(channel).ok_or("a service's channel has no message page")?));
                    endpoints.len() - 1
                }
            };
            let route = routes.get_mut(service.id as usize).ok_or("a service id is out of range")?;
            *route = Some(u8::try_from(index).map_err(|_| "too many service channels")?);
        }
        Ok(routes)
    }

    /// NAMED_BUFFER_CREATE: a new handle's buffer (its index), for `name`
    /// in the caller's domains. The perm is the task's intent: READ for
    /// an outbound buffer, WRITE (with or without READ) only for an
    /// inbound one. Once mapped, a buffer takes the same perm and a size
    /// no larger until its last handle goes.
    pub fn buffer_create(&mut self, caller: &Caller, name: &str, size: u64, perm: u64, audio: bool) -> Result<usize, u64> {
        let booted = self.booted.as_mut().ok_or(KERN_NOT_SUPPORTED)?;
        let supported = BUFFER_PERM_READ | BUFFER_PERM_WRITE;
        if perm & supported == 0 || perm & !supported != 0 {
            return Err(KERN_INVALID_ARGUMENT);
        }
        let index = Self::domains(caller)
            .into_iter()
            .flatten()
            .find_map(|d| booted.buffers.iter().position(|b| b.domain == d && b.name == name && b.audio == audio))
            .ok_or(KERN_NOT_FOUND)?;
        let buffer = &mut booted.buffers[index];
        if perm & BUFFER_PERM_WRITE != 0 && !buffer.inbound {
            return Err(KERN_PROTECTION_FAILURE);
        }
        let pages = size.checked_next_multiple_of(PAGE_BYTES as u64).filter(|&p| p != 0 && p <= buffer.size).ok_or(KERN_INVALID_ARGUMENT)?;
        match buffer.mapped {
            Some((mapped, was)) if mapped < pages || was != perm => return Err(KERN_INVALID_ARGUMENT),
            Some(_) => {}
            None => buffer.mapped = Some((pages, perm)),
        }
        buffer.handles = buffer.handles.checked_add(1).ok_or(KERN_RESOURCE_SHORTAGE)?;
        Ok(index)
    }

    /// A handle to buffer `index` went (with its task, or its creation
    /// failed); the last one unmaps it.
    pub fn buffer_release(&mut self, index: usize) {
        let Some(buffer) = self.booted.as_mut().and_then(|b| b.buffers.get_mut(index)) else { return };
        buffer.handles = buffer.handles.saturating_sub(1);
        if buffer.handles == 0 {
            buffer.mapped = None;
        }
    }

    /// NAMED_BUFFER_COPYIN or COPYOUT on buffer `index`: `ranges` are
    /// (size, offset) in the buffer, `task` gives the task's side of each
    /// once the checks are past (`None`: not the task's memory). Nothing
    /// moves unless every check passes.
    pub fn buffer_copy(&self, index: usize, way: Copy, ranges: [(u64, u64); 2], buffer: u64, task: TaskRanges) -> Result<(), u64> {
        let b = self.checked(index, way, ranges, buffer, false)?;
        copy_parts(b, way, ranges, task)
    }

    /// AUDIO_BUFFER_COPYOUT on audio buffer `index`, checked as a named
    /// buffer's copy; the indicator controller first fills both ranges of
    /// the buffer (samples while the microphone delivers, zeros if not).
    /// The microphone's status.
    pub fn audio_copyout(&self, index: usize, ranges: [(u64, u64); 2], buffer: u64, task: TaskRanges) -> Result<u32, u64> {
        let b = self.checked(index, Copy::Out, ranges, buffer, true)?;
        let narrow = |(size, offset): (u64, u64)| Some((u32::try_from(size).ok()?, u32::try_from(offset).ok()?));
        let ranges32 = [narrow(ranges[0]).ok_or(KERN_INVALID_ARGUMENT)?, narrow(ranges[1]).ok_or(KERN_INVALID_ARGUMENT)?];
        let request = Request::AudioCopy(tightbeam::indicator::AudioCopy { ranges: ranges32 });
        let status = self.indicator(&request)?.map_err(|_| KERN_FAILURE)?;
        copy_parts(b, Copy::Out, ranges, task)?;
        Ok(status as u32)
    }

    /// The checks of a copy on buffer `index` (an audio buffer's only if
    /// `audio`), before any byte moves: the buffer.
    fn checked(&self, index: usize, way: Copy, ranges: [(u64, u64); 2], buffer: u64, audio: bool) -> Result<&Buffer, u64> {
        let booted = self.booted.as_ref().ok_or(KERN_NOT_SUPPORTED)?;
        let b = booted.buffers.get(index).filter(|b| b.audio == audio).ok_or(KERN_INVALID_CAPABILITY)?;
        let (mapped, perm) = b.mapped.ok_or(KERN_INVALID_CAPABILITY)?;
        if buffer == 0 || ranges[0].0 == 0 {
            return Err(KERN_INVALID_ARGUMENT);
        }
        for (size, offset) in ranges {
            offset.checked_add(size).filter(|&end| end <= mapped).ok_or(KERN_INVALID_ARGUMENT)?;
        }
        let needed = if way == Copy::In { BUFFER_PERM_WRITE } else { BUFFER_PERM_READ };
        if perm & needed == 0 {
            return Err(KERN_PROTECTION_FAILURE);
        }
        Ok(b)
    }

    /// SENSOR_CREATE: the sensor of that name in the caller's domains.
    pub fn sensor_open(&self, caller: &Caller, name: &str) -> Result<SensorKind, u64> {
        let booted = self.booted.as_ref().ok_or(KERN_NOT_SUPPORTED)?;
        if booted.indicator.is_none() {
            return Err(KERN_NOT_SUPPORTED);
        }
        Self::domains(caller)
            .into_iter()
            .flatten()
            .find_map(|d| booted.sensors.iter().find(|(sd, sn, _)| *sd == d && *sn == name))
            .map(|&(_, _, kind)| kind)
            .ok_or(KERN_NOT_FOUND)
    }

    /// One request to the indicator controller: what it answered
    /// (`KERN_FAILURE` if it did not, or not in its protocol).
    pub fn indicator(&self, request: &Request<'_>) -> Result<Answer, u64> {
        let indicator = self.booted.as_ref().and_then(|b| b.indicator.as_ref()).ok_or(KERN_NOT_SUPPORTED)?;
        // Aligned, so that both copies take the block copy's fast path.
        #[repr(C, align(8))]
        struct Message([u8; MESSAGE_BYTES as usize]);
        let mut message = Message([0; MESSAGE_BYTES as usize]);
        encode_request(request, &mut message.0).map_err(|_| KERN_FAILURE)?;
        let mut received = Received::empty();
        indicator
            .call_with(
                // SAFETY: the page is valid for a message while each closure
                // runs (`call_with`); `message` and `received` are ours.
                |page| unsafe { volatile_copy::copy_volatile(page, message.0.as_ptr(), MESSAGE_BYTES as usize) },
                |page| unsafe { received.copy_from_shared(page) },
            )
            .map_err(|_| KERN_FAILURE)?;
        match decode_reply(&received, request.method()).map_err(|_| KERN_FAILURE)? {
            Ok(Reply::Sensor(s)) => Ok(Ok(u64::from(s.status))),
            Ok(Reply::MinOnTime(m)) => Ok(Ok(m.deadline)),
            Ok(Reply::Done(_)) => Ok(Ok(0)),
            Ok(_) => Err(KERN_FAILURE),
            Err(code) => Ok(Err(code)),
        }
    }

    /// A sensor handle (the indicator's client `client`) went: its starts stop.
    pub fn sensor_gone(&self, client: u32) {
        let _ = self.indicator(&Request::ClientGone(tightbeam::indicator::ClientGone { client }));
    }

    /// The connected NOTIFICATION resources of `domain` whose channel has an
    /// events page, the counts as they are now (what came before a task
    /// looked is no event of its).
    fn sources_of(&self, table: &Table<'static>, domain: &'static str) -> Vec<Source> {
        let Some(d) = table.domain(domain) else { return Vec::new() };
        d.resources()
            .filter(|r| r.connected && r.kind == ResourceType::Notification)
            .filter_map(|r| {
                let Backing::Channel(channel) = r.backing else { return None };
                let page = self.events_pages.iter().find(|(c, _)| *c == channel).and_then(|(_, p)| *p)?;
                Some(Source { domain, name: r.name, channel, page, seen: counts(&page) })
            })
            .collect()
    }

    /// NOTIFICATION_RESOURCE_LOOKUP: the source of that name in the
    /// caller's domains (its index).
    pub fn notification_source(&self, caller: &Caller, name: &str) -> Result<usize, u64> {
        let booted = self.booted.as_ref().ok_or(KERN_NOT_SUPPORTED)?;
        Self::domains(caller)
            .into_iter()
            .flatten()
            .find_map(|d| booted.sources.iter().position(|s| s.domain == d && s.name == name))
            .ok_or(KERN_NOT_FOUND)
    }

    /// Handle `port` to source `source` was made: no events pending yet.
    pub fn notification_handle(&mut self, port: PortId, source: usize) {
        if let Some(booted) = self.booted.as_mut() {
            booted.notification_handles.insert(port, (source, 0));
        }
    }

    /// A notification handle went.
    pub fn notification_gone(&mut self, port: PortId) {
        if let Some(booted) = self.booted.as_mut() {
            booted.notification_handles.remove(&port);
        }
    }

    /// The channels notifications come on.
    pub fn notification_channels(&self) -> impl Iterator<Item = u32> + '_ {
        self.booted.iter().flat_map(|b| b.sources.iter().map(|s| s.channel))
    }

    /// The source on `channel` notified: each count that moved is that
    /// bit's event, now pending on every handle of the source.
    pub fn events_arrived(&mut self, channel: u32) {
        let Some(booted) = self.booted.as_mut() else { return };
        let Some((index, source)) = booted.sources.iter_mut().enumerate().find(|(_, s)| s.channel == channel) else { return };
        let now = counts(&source.page);
        let bits = now.iter().zip(source.seen).enumerate().filter(|(_, (n, s))| **n != *s).fold(0u64, |b, (i, _)| b | 1 << i);
        source.seen = now;
        for (s, pending) in booted.notification_handles.values_mut() {
            if *s == index {
                *pending |= bits;
            }
        }
    }

    /// The events of handle `port` in `mask`, no longer pending; `None` if
    /// `port` is no notification handle.
    pub fn take_events(&mut self, port: PortId, mask: u64) -> Option<u64> {
        let (_, pending) = self.booted.as_mut()?.notification_handles.get_mut(&port)?;
        let bits = *pending & mask;
        *pending &= !mask;
        Some(bits)
    }

    /// The table XNU booted.
    pub fn table(&self) -> Option<&Table<'static>> {
        self.booted.as_ref().map(|b| &b.table)
    }

    /// The entitlements of `program`, by the table.
    pub fn program_entitlements(&self, program: &str) -> Entitlements {
        self.table().and_then(|t| t.entitlements(program)).unwrap_or_default()
    }

    /// The endpoint of XNU's channel `id` and its message page.
    pub fn endpoint(&self, id: u32) -> Option<Endpoint> {
        let page = id.checked_sub(FIRST_SERVICE_CHANNEL).and_then(|i| self.pages.get(i as usize).copied().flatten())?;
        let channel = Channel::try_new(u64::from(id)).ok()?;
        Endpoint::new(channel, page).ok()
    }

    /// Every resource, as `EXCLAVES_LIST` records (see `xnu_abi`); `None`
    /// before EXCLAVECORE.
    pub fn list(&self) -> Option<Vec<u8>> {
        let table = &self.booted.as_ref()?.table;
        let mut out = Vec::new();
        for domain in table.domains() {
            for r in domain.resources() {
                let mut record = [0u8; LIST_RECORD_BYTES];
                let put = |field: &mut [u8], text: &str| {
                    // Names fit (the table caps them at 127 bytes; domains are ours).
                    let n = text.len().min(field.len() - 1);
                    field[..n].copy_from_slice(&text.as_bytes()[..n]);
                };
                put(&mut record[..LIST_DOMAIN_BYTES], domain.name());
                put(&mut record[LIST_DOMAIN_BYTES..LIST_DOMAIN_BYTES + LIST_NAME_BYTES], r.name);
                let at = LIST_DOMAIN_BYTES + LIST_NAME_BYTES;
                record[at..at + 4].copy_from_slice(&(r.kind as u32).to_le_bytes());
                record[at + 4..at + 8].copy_from_slice(&u32::from(r.connected).to_le_bytes());
                record[at + 8..].copy_from_slice(&r.id.to_le_bytes());
                out.extend_from_slice(&record);
            }
        }
        Some(out)
    }

    /// The domains a task's lookups and calls reach, in order: its
    /// conclave's if it is attached to one, its own, then the kernel's if
    /// it is entitled to it.
    fn domains(caller: &Caller) -> [Option<&'static str>; 3] {
        let kernel = caller.entitlements.has(Entitlements::KERNEL_DOMAIN).then_some(KERNEL_DOMAIN);
        [caller.conclave.map(|(d, _)| d), Some(TASK_DOMAIN), kernel]
    }

    /// LOOKUP_SERVICES: the id of the service `name`.
    pub fn lookup(&self, caller: &Caller, name: &str) -> Result<u64, u64> {
        let table = &self.booted.as_ref().ok_or(KERN_NOT_SUPPORTED)?.table;
        Self::domains(caller)
            .into_iter()
            .flatten()
            .find_map(|d| table.lookup(d, name, ResourceType::Service))
            .map(|r| r.id)
            .ok_or(KERN_NOT_FOUND)
    }

    /// ENDPOINT_CALL: the 512 bytes of `message` (a task's, checked) to
    /// service `id` of the caller's domains, its reply in their place. The
    /// message goes straight between the task's memory and the page, and
    /// the task's buffer stays as it was unless a reply came.
    /// A service that makes upcalls ([`Route::Upcalls`]) is `USE_TRAP`:
    /// its calls go through `crate::upcalls`, as the trap, and block.
    pub fn endpoint_call(&self, caller: &Caller, id: u64, message: &USlice<u8>) -> Result<(), u64> {
        let Route::Direct(endpoint) = self.route(caller, id)? else { return Err(xnu_abi::fast::USE_TRAP) };
        if message.len() != MESSAGE_BYTES as usize {
            return Err(KERN_INVALID_ARGUMENT);
        }
        endpoint
            // SAFETY: the page is valid for a message while each closure
            // runs (`call_with`), and the slice is 512 bytes of the task's
            // memory, which XNU maps for its life.
            .call_with(|page| unsafe { message.copy_to_shared(page) }, |page| unsafe { message.copy_from_shared(page) })
            .map_err(|_| KERN_FAILURE)
    }
}

/// How ENDPOINT_CALL reaches a service.
pub enum Route<'a> {
    /// One protected call.
    Direct(&'a Endpoint),
    /// Calls that may need XNU to serve upcalls first: the endpoint and
    /// its upcall page.
    Upcalls(&'a Endpoint, MemoryRegion),
}

impl Exclaves {
    /// The route to service `id` of the caller's domains.
    pub fn route(&self, caller: &Caller, id: u64) -> Result<Route<'_>, u64> {
        let booted = self.booted.as_ref().ok_or(KERN_NOT_SUPPORTED)?;
        let id = usize::try_from(id).ok().filter(|&id| id < MAX_SERVICE_ID as usize).ok_or(KERN_INVALID_ARGUMENT)?;
        let kernel = caller.entitlements.has(Entitlements::KERNEL_DOMAIN);
        let conclave = caller.conclave.and_then(|(domain, running)| {
            let routes = booted.conclave_services.iter().find(|(d, _)| *d == domain)?;
            routes.1[id].map(|r| (r, running))
        });
        let route = match conclave {
            // A conclave that does not run would never answer.
            Some((_, false)) => return Err(KERN_FAILURE),
            Some((route, true)) => route,
            None => booted.task_services[id].or_else(|| booted.kernel_services[id].filter(|_| kernel)).ok_or(KERN_INVALID_ARGUMENT)?,
        };
        let (channel, endpoint) = booted.endpoints.get(usize::from(route)).ok_or(KERN_FAILURE)?;
        let upcalls = channel.checked_sub(FIRST_SERVICE_CHANNEL).and_then(|i| self.upcall_pages.get(i as usize).copied().flatten());
        Ok(match upcalls {
            Some(page) => Route::Upcalls(endpoint, page),
            None => Route::Direct(endpoint),
        })
    }
}

/// The table's bytes in its region: as long as its header says, at most
/// the region. Nothing maps the region writable (the monitor fills it at
/// boot), so its bytes never change.
fn table_bytes() -> Result<&'static [u8], String> {
    let region = memory_region_symbol!(exclaves_table, TABLE_REGION_BYTES).map_err(|e| format!("the table region: {e}"))?;
    // The header's total size, a little-endian u32 at an 8-byte-aligned offset.
    let total = region.read_u64(exclaves_table::TOTAL_SIZE_OFFSET).map_err(|e| format!("the table region: {e}"))? as u32 as usize;
    if total > region.size() {
        return Err(format!("the resource table claims {total} bytes, more than its region's {}", region.size()));
    }
    // SAFETY: the region is mapped readable for XNU's life and written by no
    // one once XNU runs (see above), so a shared slice of it stays valid.
    Ok(unsafe { core::slice::from_raw_parts(region.base(), total) })
}

/// An events page's counts (`tightbeam::events`); only its exclave writes
/// them, and any value is as good as another to compare.
fn counts(page: &MemoryRegion) -> [u64; tightbeam::events::EVENTS] {
    core::array::from_fn(|i| page.read_u64(8 * i).unwrap_or(0))
}

/// The named buffers of `domain` that are connected, as XNU maps them.
fn buffers_of(table: &Table<'static>, domain: &'static str) -> Vec<Buffer> {
    let Some(d) = table.domain(domain) else { return Vec::new() };
    d.resources()
        .filter(|r| r.connected && matches!(r.kind, ResourceType::SharedMemory | ResourceType::ArbitratedAudioMemory))
        .filter_map(|r| match r.backing {
            Backing::Memory { vaddr, size, perms } => Some(Buffer {
                domain,
                name: r.name,
                audio: r.kind == ResourceType::ArbitratedAudioMemory,
                vaddr,
                size,
                inbound: perms.writable(),
                mapped: None,
                handles: 0,
            }),
            _ => None,
        })
        .collect()
}

/// The connected sensors of `domain`.
fn sensors_of(table: &Table<'static>, domain: &'static str) -> Vec<(&'static str, &'static str, SensorKind)> {
    let Some(d) = table.domain(domain) else { return Vec::new() };
    d.resources()
        .filter(|r| r.connected)
        .filter_map(|r| match r.backing {
            Backing::Sensor(kind) => Some((domain, r.name, kind)),
            _ => None,
        })
        .collect()
}

/// Moves a checked copy's bytes between the task and the buffer's mapping.
fn copy_parts(b: &Buffer, way: Copy, ranges: [(u64, u64); 2], task: TaskRanges) -> Result<(), u64> {
    let (first, second) = task().ok_or(KERN_FAILURE)?;
    for (part, (_, offset)) in [first, second].iter().zip(ranges) {
        let at = (b.vaddr + offset) as *mut u8;
        // SAFETY: `at..at + part.len()` lies in the buffer's mapping in XNU
        // (checked against the mapped size, at most the buffer's), which is
        // writable for a copy in: only an inbound buffer takes a WRITE perm.
        match way {
            Copy::In => unsafe { part.copy_to_shared(at) },
            Copy::Out => unsafe { part.copy_from_shared(at) },
        }
    }
    Ok(())
}
