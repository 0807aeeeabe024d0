//! The conclave manager: its child PDs are conclaves (conclave `i` is
//! child `i + 1`, up to [`CONCLAVES`]), which it launches, suspends,
//! resumes and stops for XNU (tightbeam ConclaveManager on channel `i`,
//! with that conclave's message page), and whose faults it records. Each
//! conclave has its own memory, image, crash page and counters.
//!
//! - **Launch** stops the child, clears its memory (the task layout's four
//!   regions, mapped here rw: all of data and stack, of text and rodata
//!   what the last load wrote), loads the conclave's ELF from a
//!   read-only region (checked by `xnu_bootfs::program`) and starts it with
//!   every register written: a relaunch finds clean memory.
//! - **A fault** of the running conclave is its crash: the registers and
//!   stack words go to the crash page (2 pages XNU maps read-only), XNU is
//!   notified, and the child is started again in its runtime's crashed mode
//!   (x0 = 1), which releases a caller it crashed serving with the CRASHED
//!   label. The fault itself is never answered.
//! - **A conclave's calls** (channel `8 + i`, label only): STOP_HOST
//!   counts a stop request and notifies XNU; EXIT ends it (Exited).
//!
//! Conventions it shares with the conclave's runtime:
//! `conclave_lifecycle::runtime`.
#![no_std]
#![no_main]

use conclave_lifecycle::runtime::{ACK, ENTRY_CRASHED, ENTRY_LAUNCH, EXIT, REFUSED, STACK_TOP, STOP_HOST};
use conclave_lifecycle::{crash, CrashRecord, Lifecycle};
use sel4_microkit::sel4::{self, sys::fault_tag, Fault, UserContext};
use sel4_microkit::{debug_println, memory_region_symbol, protection_domain, Channel, Child, Handler, MemoryRegion, MessageInfo};
use tightbeam::conclave::{crash_page, refusal, CrashInfo};
use tightbeam::{Dispatcher, ErrorCode, Reply, Request, Scratch, ServiceId};
use tightbeam_channel::{serve, PAGE_BYTES};
use xnu_abi::layout::{REGIONS, STACK};

protection_domain!(init);

/// Conclaves one manager holds.
const CONCLAVES: usize = 4;
/// Conclave `i`'s own calls to us come on channel `CONCLAVE_CALLS + i`;
/// XNU's calls for it on channel `i`, where we also notify XNU of a state
/// it did not ask for.
const CONCLAVE_CALLS: u8 = 8;
/// An image region's size (system.xml), at least the conclave's ELF.
const IMAGE_BYTES: usize = 0x40000;

const _: () = assert!(conclave_lifecycle::runtime::CRASHED == tightbeam_channel::CRASHED);
const _: () = assert!(conclave_lifecycle::runtime::REPLIED == tightbeam_channel::REPLIED);
const _: () = assert!(conclave_lifecycle::runtime::BAD_CALL == tightbeam_channel::BAD_CALL);
const _: () = assert!(STACK_TOP == STACK.end());

/// The conclave as this PD holds it.
struct Conclave {
    /// XNU's channel for it.
    xnu: Channel,
    life: Lifecycle,
    child: Option<Child>,
    /// Its four regions, in `REGIONS` order.
    memory: Option<[MemoryRegion; 4]>,
    image: Option<MemoryRegion>,
    crash_page: Option<MemoryRegion>,
    /// The entry of the image last loaded, and the bytes it wrote of each
    /// region (`load`).
    entry: u64,
    loaded: [usize; 4],
    last_crash: Option<CrashInfo>,
    /// The host's events page (`events_page_<i>`, read-only to XNU) and
    /// its counts (tightbeam::events).
    events: Option<MemoryRegion>,
    counts: [u64; tightbeam::events::EVENTS],
}

impl Conclave {
    fn launch(&mut self) -> Result<Reply<'static>, ErrorCode> {
        let (Some(child), Some(memory), Some(image)) = (self.child, self.memory.as_ref(), self.image.as_ref()) else {
            return Err(refusal::NO_IMAGE);
        };
        let mut entry = 0;
        let loaded = &mut self.loaded;
        let status = self.life.launch(|| {
            entry = load(child, memory, image, loaded)?;
            Ok(())
        })?;
        self.entry = entry;
        Ok(Reply::Conclave(status))
    }

    /// The child's TCB operation `op`, as a refusal if it fails.
    fn tcb(&self, op: fn(Child) -> Result<(), sel4::Error>) -> impl FnOnce() -> Result<(), ErrorCode> {
        let child = self.child;
        move || child.ok_or(ErrorCode::INTERNAL).and_then(|c| op(c).map_err(|_| ErrorCode::INTERNAL))
    }

    /// Records a crash of the child from `fault` and its registers, then
    /// starts it in the crashed mode.
    fn crashed(&mut self, child: Child, fault: Fault) {
        if !self.life.crashed() {
            // Not running: task-slot.elf before the first launch, or a
            // conclave already crashed. It waits until launched.
            return;
        }
        let regs = child.read_registers(sel4::sys::USER_CONTEXT_WORDS).unwrap_or_default();
        let mut record = CrashRecord::empty();
        record.fault = fault_label(&fault);
        // Only a VM fault has a data address (a cap fault's is a cap's).
        record.addr = if let Fault::VmFault { addr, .. } = fault { addr } else { 0 };
        record.pc = regs.pc;
        for (slot, word) in record.registers.iter_mut().zip(context_words(&regs)) {
            *slot = word;
        }
        if let Some(stack) = self.memory.as_ref().map(|m| m[3]) {
            record.stack_len = stack_words(&stack, regs.sp, &mut record.stack);
        }
        let mut page = [0u8; crash_page::BYTES];
        record.encode(&mut page);
        if let Some(region) = self.crash_page {
            if region.write(0, &page).is_err() {
                debug_println!("the crash page is smaller than {:#x} bytes", crash_page::BYTES);
            }
        }
        self.last_crash = Some(record.info());
        self.tell_xnu(tightbeam::conclave::EVENT_CRASHED);
        if start(child, self.entry, ENTRY_CRASHED).is_err() {
            debug_println!("the crashed conclave did not restart");
        }
    }
}

impl Conclave {
    /// Event `bit` counted in the events page (if the system gives one),
    /// then XNU notified.
    fn tell_xnu(&mut self, bit: usize) {
        self.counts[bit] += 1;
        if let Some(page) = &self.events {
            let _ = page.write_u64(8 * bit, self.counts[bit]);
        }
        let _ = self.xnu.notify();
    }
}

fn fault_label(fault: &Fault) -> u32 {
    let label = match *fault {
        Fault::Null => fault_tag::NULL_FAULT,
        Fault::CapFault { .. } => fault_tag::CAP_FAULT,
        Fault::UnknownSyscall { .. } => fault_tag::UNKNOWN_SYSCALL,
        Fault::UserException { .. } => fault_tag::USER_EXCEPTION,
        Fault::VmFault { .. } => fault_tag::VM_FAULT,
        Fault::Unknown { label } | Fault::Malformed { label, .. } => label,
    };
    label as u32
}

/// `regs` in `seL4_UserContext` order.
fn context_words(regs: &UserContext) -> [u64; sel4::sys::USER_CONTEXT_WORDS] {
    let r = regs;
    [
        r.pc, r.sp, r.spsr, r.x0, r.x1, r.x2, r.x3, r.x4, r.x5, r.x6, r.x7, r.x8, r.x16, r.x17, r.x18, r.x29, r.x30, r.x9,
        r.x10, r.x11, r.x12, r.x13, r.x14, r.x15, r.x19, r.x20, r.x21, r.x22, r.x23, r.x24, r.x25, r.x26, r.x27, r.x28,
    ]
}

/// Copies the words from the child's `sp` to its stack's top (as many as
/// fit `out`) out of the stack region; returns how many. An sp outside the
/// stack gives none.
fn stack_words(stack: &MemoryRegion, sp: u64, out: &mut [u64; crash::STACK_WORDS]) -> usize {
    if !(STACK.base..STACK.end()).contains(&sp) {
        return 0;
    }
    let offset = (sp - STACK.base) as usize;
    let count = (((STACK.end() - sp) / 8) as usize).min(out.len());
    (0..count).take_while(|&i| stack.read_u64(offset + 8 * i).map(|w| out[i] = w).is_ok()).count()
}

/// Stops `child`, clears its memory, loads `image` into it and starts it:
/// the image's entry.
/// The regions the conclave can write (data and stack), by index; text and
/// rodata only the loader writes.
fn writable(index: usize) -> bool {
    REGIONS[index].base >= xnu_abi::layout::DATA.base
}

/// Loads `image` into the stopped child's `memory` and starts it. Clean
/// means: all of data and stack zeroed (the last run may have written
/// anywhere in them), and of text and rodata what the last load wrote
/// (`loaded`, bytes from each region's start; the whole region until the
/// first load).
fn load(child: Child, memory: &[MemoryRegion; 4], image: &MemoryRegion, loaded: &mut [usize; 4]) -> Result<u64, ErrorCode> {
    // SAFETY: the image region is mapped read-only here for the PD's life
    // (system.xml), `size` bytes long, and no PD can write it.
    let bytes = unsafe { core::slice::from_raw_parts(image.base().cast_const(), image.size()) };
    let program = xnu_bootfs::program::parse(bytes).map_err(|_| refusal::NO_IMAGE)?;
    child.stop().map_err(|_| ErrorCode::INTERNAL)?;
    for (index, region) in memory.iter().enumerate() {
        let len = if writable(index) { region.size() } else { loaded[index].min(region.size()) };
        // SAFETY: each region is mapped read-write here, `size` bytes long,
        // and the child that shares it is stopped.
        unsafe { core::ptr::write_bytes(region.base(), 0, len) };
        loaded[index] = 0;
    }
    for segment in program.segments() {
        // `parse` checked that each segment lies in the region of its
        // permissions; bss stays as cleared.
        let (index, at) = REGIONS
            .iter()
            .position(|r| segment.vaddr >= r.base && segment.vaddr < r.end())
            .map(|i| (i, (segment.vaddr - REGIONS[i].base) as usize))
            .ok_or(refusal::NO_IMAGE)?;
        memory[index].write(at, segment.data).map_err(|_| refusal::NO_IMAGE)?;
        loaded[index] = loaded[index].max(at + segment.data.len());
    }
    start(child, program.entry, ENTRY_LAUNCH).map_err(|_| ErrorCode::INTERNAL)?;
    Ok(program.entry)
}

/// Writes every register of the stopped `child` (pc, sp, x0 = `mode`, the
/// rest zero) and resumes it.
fn start(child: Child, entry: u64, mode: u64) -> Result<(), sel4::Error> {
    let regs = UserContext { pc: entry, sp: STACK_TOP, x0: mode, ..Default::default() };
    child.write_registers(&regs, sel4::sys::USER_CONTEXT_WORDS, true)
}

impl tightbeam::Handler for Conclave {
    const SERVICE: ServiceId = ServiceId::ConclaveManager;

    fn handle<'a>(&mut self, request: Request<'a>, _: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        match request {
            Request::Launch(_) => self.launch(),
            Request::Suspend(_) => self.life.suspend(self.tcb(Child::stop)).map(Reply::Conclave),
            Request::Resume(_) => self.life.resume(self.tcb(Child::resume)).map(Reply::Conclave),
            Request::Stop(_) => self.life.stop(self.tcb(Child::stop)).map(Reply::Conclave),
            Request::Status(_) => Ok(Reply::Conclave(self.life.status())),
            Request::CrashInfo(_) => self.last_crash.map(Reply::Crash).ok_or(refusal::NO_CRASH),
            _ => Err(ErrorCode::INTERNAL),
        }
    }
}

/// One conclave's service to XNU: its dispatcher and message page.
struct Slot {
    dispatcher: Dispatcher<Conclave>,
    control_page: Option<MemoryRegion>,
}

impl Slot {
    /// A label-only call from the conclave.
    fn conclave_call(&mut self, label: u64) -> u64 {
        let conclave = self.dispatcher.handler_mut();
        let event = match label {
            STOP_HOST => conclave.life.stop_requested().is_ok().then_some(tightbeam::conclave::EVENT_STOP_HOST),
            // It gets no reply: stopped, it waits for the next launch.
            EXIT => (conclave.life.exited().is_ok() && conclave.child.is_some_and(|c| c.stop().is_ok()))
                .then_some(tightbeam::conclave::EVENT_EXITED),
            _ => None,
        };
        match event {
            Some(bit) => {
                conclave.tell_xnu(bit);
                ACK
            }
            None => REFUSED,
        }
    }
}

struct Manager {
    slots: [Slot; CONCLAVES],
}

impl Handler for Manager {
    fn protected(&mut self, channel: Channel, msg: MessageInfo) -> MessageInfo {
        let id = usize::from(channel.index());
        if let Some(slot) = self.slots.get_mut(id) {
            if let Some(page) = slot.control_page.as_ref() {
                return serve(&mut slot.dispatcher, page, msg).0;
            }
        } else if let Some(slot) = id.checked_sub(usize::from(CONCLAVE_CALLS)).and_then(|i| self.slots.get_mut(i)) {
            if msg.count() == 0 {
                return MessageInfo::new(slot.conclave_call(msg.label()), 0);
            }
        }
        MessageInfo::new(tightbeam_channel::BAD_CALL, 0)
    }

    fn fault(&mut self, child: Child, fault: Fault) -> Option<MessageInfo> {
        let conclave = self.slots.iter_mut().map(|s| s.dispatcher.handler_mut()).find(|c| c.child == Some(child));
        if let Some(conclave) = conclave {
            conclave.crashed(child, fault);
        }
        None
    }
}

/// Conclave `$i`'s slot from its regions' symbols (system.xml's
/// setvar_vaddr): `conclave<i>_{text,rodata,data,stack,image,crash}`,
/// `control_page_<i>` and `events_page_<i>` (optional). A conclave without them is refused (NO_IMAGE).
macro_rules! slot {
    ($i:expr, $text:ident, $rodata:ident, $data:ident, $stack:ident, $image:ident, $crash:ident, $page:ident, $events:ident) => {{
        let i: u8 = $i;
        let memory = [
            memory_region_symbol!($text, REGIONS[0].size as usize),
            memory_region_symbol!($rodata, REGIONS[1].size as usize),
            memory_region_symbol!($data, REGIONS[2].size as usize),
            memory_region_symbol!($stack, REGIONS[3].size as usize),
        ];
        let memory = match memory {
            [Ok(t), Ok(r), Ok(d), Ok(s)] => Some([t, r, d, s]),
            _ => None,
        };
        let conclave = Conclave {
            xnu: Channel::new(i),
            life: Lifecycle::new(),
            child: Child::new(u64::from(i) + 1),
            memory,
            image: memory_region_symbol!($image, IMAGE_BYTES).ok(),
            crash_page: memory_region_symbol!($crash, crash_page::BYTES).ok(),
            entry: 0,
            loaded: REGIONS.map(|r| r.size as usize),
            last_crash: None,
            events: memory_region_symbol!($events, PAGE_BYTES).ok(),
            counts: [0; tightbeam::events::EVENTS],
        };
        if conclave.child.is_some() && (conclave.memory.is_none() || conclave.image.is_none()) {
            debug_println!("conclave {i}: its memory or image is missing from system.xml");
        }
        Slot { dispatcher: Dispatcher::new(conclave), control_page: memory_region_symbol!($page, PAGE_BYTES).ok() }
    }};
}

fn init() -> Manager {
    Manager {
        slots: [
            slot!(0, conclave0_text, conclave0_rodata, conclave0_data, conclave0_stack, conclave0_image, conclave0_crash, control_page_0, events_page_0),
            slot!(1, conclave1_text, conclave1_rodata, conclave1_data, conclave1_stack, conclave1_image, conclave1_crash, control_page_1, events_page_1),
            slot!(2, conclave2_text, conclave2_rodata, conclave2_data, conclave2_stack, conclave2_image, conclave2_crash, control_page_2, events_page_2),
            slot!(3, conclave3_text, conclave3_rodata, conclave3_data, conclave3_stack, conclave3_image, conclave3_crash, control_page_3, events_page_3),
        ],
    }
}
