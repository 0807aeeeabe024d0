//! XNU's exclaves subsystem, part 1: the `exclaves_ctl` trap's gate, BOOT
//! (the resource table and the hello probe), LOOKUP_SERVICES and
//! ENDPOINT_CALL. The table (from manifests/ and system.xml) is built into
//! XNU's read-only data, as the boot filesystem is; XNU checks it at
//! EXCLAVECORE like any input. A service is reached by the channel the
//! table names and XNU's message page on it (`support/tightbeam-channel`).

use sel4_microkit::{memory_region_symbol, Channel, MemoryRegion};
use tightbeam::hello::{Hello, HelloReply};
use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request};
use tightbeam_channel::{Endpoint, PAGE_BYTES};
use exclaves_table::{Backing, Entitlements, ResourceType, Table};
use xnu_abi::exclaves::*;
use xnu_abi::kern::*;

/// The table the build made (`exclaves-manifest build`), aligned as its
/// records need.
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);
static TABLE: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("XNU_EXCLAVES_TABLE")));

/// The domain of every task (conclave tasks come with part 3).
const TASK_DOMAIN: &str = "darwin";
const KERNEL_DOMAIN: &str = "kernel";
/// The boot probe: the kernel domain's service of this name.
const PROBE: &str = "hello";
/// XNU's channel ids that may reach services, each with its message page.
const FIRST_SERVICE_CHANNEL: u32 = 3;
const SERVICE_CHANNELS: usize = 4;

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
    table: Option<Table<'static>>,
    pages: [Option<MemoryRegion>; SERVICE_CHANNELS],
}

/// Who calls: the task, with its program's entitlements (the table's,
/// looked up once per call).
#[derive(Clone, Copy)]
pub struct Caller {
    pub pid: u32,
    entitlements: Entitlements,
}

impl Exclaves {
    pub fn new() -> Self {
        let pages = [
            memory_region_symbol!(xnu_tb_page_3, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_4, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_5, PAGE_BYTES),
            memory_region_symbol!(xnu_tb_page_6, PAGE_BYTES),
        ];
        Exclaves { stage: Stage::None, table: None, pages: pages.map(Result::ok) }
    }

    /// Task `pid` running `program`; before EXCLAVECORE it has no entitlements.
    pub fn caller(&self, pid: u32, program: &str) -> Caller {
        let entitlements = self.table.as_ref().and_then(|t| t.entitlements(program)).unwrap_or_default();
        Caller { pid, entitlements }
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

    /// EXCLAVECORE: the table checked, then the boot probe answered.
    fn boot_core(&mut self) -> Result<(), &'static str> {
        let table = Table::parse(&TABLE.0).map_err(|_| "the resource table is damaged (version, checksum or records)")?;
        let probe = table.lookup(KERNEL_DOMAIN, PROBE, ResourceType::Service).ok_or("the kernel domain has no hello service")?;
        let mut request = [0u8; MESSAGE_BYTES as usize];
        encode_request(&Request::Hello(Hello), &mut request).map_err(|_| "the probe does not encode")?;
        let reply = self.call_channel(probe.backing, &request).map_err(|_| "the hello service did not answer")?;
        let received = Received::copy_from(&reply).map_err(|_| "the probe's reply is not a message")?;
        match decode_reply(&received, MethodId::Hello) {
            Ok(Ok(Reply::Hello(answer))) if answer == HelloReply::EXPECTED => {
                self.table = Some(table);
                Ok(())
            }
            _ => Err("the hello service answered something else than its known value"),
        }
    }

    /// One tightbeam call on a service's channel and page.
    fn call_channel(&self, backing: Backing, request: &[u8; 512]) -> Result<[u8; 512], u64> {
        let Backing::Channel(id) = backing else { return Err(KERN_FAILURE) };
        let page = id
            .checked_sub(FIRST_SERVICE_CHANNEL)
            .and_then(|i| self.pages.get(i as usize).copied().flatten())
            .ok_or(KERN_FAILURE)?;
        let channel = Channel::try_new(u64::from(id)).map_err(|_| KERN_FAILURE)?;
        let endpoint = Endpoint::new(channel, page).map_err(|_| KERN_FAILURE)?;
        let mut reply = [0u8; 512];
        endpoint.call(request, &mut reply).map_err(|_| KERN_FAILURE)?;
        Ok(reply)
    }

    /// Every resource, as `EXCLAVES_LIST` records (see `xnu_abi`); `None`
    /// before EXCLAVECORE.
    pub fn list(&self) -> Option<alloc::vec::Vec<u8>> {
        let table = self.table.as_ref()?;
        let mut out = alloc::vec::Vec::new();
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

    /// The domains a task's lookups and calls reach, in order: its own,
    /// then the kernel's if it is entitled to it.
    fn domains(caller: &Caller) -> [Option<&'static str>; 2] {
        let kernel = caller.entitlements.has(Entitlements::KERNEL_DOMAIN).then_some(KERNEL_DOMAIN);
        [Some(TASK_DOMAIN), kernel]
    }

    /// LOOKUP_SERVICES: the id of the service `name`.
    pub fn lookup(&self, caller: &Caller, name: &str) -> Result<u64, u64> {
        let table = self.table.as_ref().ok_or(KERN_NOT_SUPPORTED)?;
        Self::domains(caller)
            .into_iter()
            .flatten()
            .find_map(|d| table.lookup(d, name, ResourceType::Service))
            .map(|r| r.id)
            .ok_or(KERN_NOT_FOUND)
    }

    /// ENDPOINT_CALL: `message` to service `id` of the caller's domains,
    /// its reply in place.
    pub fn endpoint_call(&self, caller: &Caller, id: u64, message: &mut [u8; 512]) -> Result<(), u64> {
        let table = self.table.as_ref().ok_or(KERN_NOT_SUPPORTED)?;
        if id >= MAX_SERVICE_ID {
            return Err(KERN_INVALID_ARGUMENT);
        }
        let service = Self::domains(caller)
            .into_iter()
            .flatten()
            .find_map(|d| table.domain(d)?.by_id(ResourceType::Service, id))
            .ok_or(KERN_INVALID_ARGUMENT)?;
        *message = self.call_channel(service.backing, message)?;
        Ok(())
    }
}
