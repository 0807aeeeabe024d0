//! Building the system from the spec: regions first (fixed physical ones
//! before anything else takes their memory; prefilled ones filled), then
//! each PD in spec order (parents before children), then channels (both
//! ends must exist), then starting every PD, highest priority first.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use monitor_spec::abi::{self, slot};
use monitor_spec::{Pd, Spec, PERM_EXECUTE, PERM_READ, PERM_WRITE};
use sel4::cap_type::{CNode, Endpoint, IrqHandler, Notification, Page, PageGlobalDirectory, Tcb};
use sel4::{init_thread, Cap, CapData, CapRights, ObjectType, VmAttributes, Word};

use crate::objects::{kernel, Objects};
use crate::{say, MonitorError};

/// Where the monitor maps a fresh frame (a PD's, or a prefilled region's) to fill it.
const SCRATCH_VADDR: Word = 0x10_0000_0000;

/// A region's frames: consecutive slots, physically contiguous.
struct RegionFrames {
    first: Word,
    count: u64,
    page_size: u64,
    paddr: u64,
}

/// What the monitor keeps of each PD once built.
pub struct BuiltPd {
    pub tcb: Cap<Tcb>,
    pub cnode: Cap<CNode>,
    pub notification: Cap<Notification>,
    pub endpoint: Option<Cap<Endpoint>>,
}

pub struct System {
    pub pds: Vec<BuiltPd>,
    /// Top-level PDs fault to this endpoint, badged with their index + 1.
    pub fault_ep: Cap<Endpoint>,
}

type Failure = (String, MonitorError);

pub fn build(spec: &Spec<'_>, bootinfo: &sel4::BootInfo) -> Result<System, Failure> {
    let mut objects = Objects::new(bootinfo);
    let (_, ram_total) = objects.ram_usage();
    let regions = build_regions(spec, &mut objects)?;
    let fault_ep = objects
        .create(ObjectType::Endpoint, 0, 1)
        .map(Cap::from_bits)
        .map_err(|e| (String::from("the monitor's fault endpoint"), e))?;
    let mut builder = Builder { spec, objects, regions, pds: Vec::new(), fault_ep };
    let pds: Vec<Pd> = spec.pds().collect::<Result<_, _>>().map_err(|e| (String::from("the spec"), MonitorError::Spec(e)))?;
    for (i, pd) in pds.iter().enumerate() {
        let built = builder.pd(i, pd).map_err(|e| (format!("PD '{}'", spec.name(pd.name)), e))?;
        builder.pds.push(built);
    }
    for (i, pd) in pds.iter().enumerate() {
        builder.channels(i, pd).map_err(|e| (format!("channels of PD '{}'", spec.name(pd.name)), e))?;
    }
    let priorities: Vec<u8> = pds.iter().map(|pd| pd.priority).collect();
    let Builder { objects, pds: built, .. } = builder;

    let (used, _) = objects.ram_usage();
    say!(
        "monitor: built {} PDs: {} KiB of RAM used, {} KiB of {} KiB left, {} capability slots left",
        built.len(),
        used / 1024,
        (ram_total - used) / 1024,
        ram_total / 1024,
        objects.slots_left()
    );
    start(&priorities, &built).map_err(|e| (String::from("starting PDs"), e))?;
    Ok(System { pds: built, fault_ep })
}

fn build_regions(spec: &Spec<'_>, objects: &mut Objects) -> Result<Vec<RegionFrames>, Failure> {
    let regions: Vec<_> = spec.regions().collect::<Result<_, _>>().map_err(|e| (String::from("the spec"), MonitorError::Spec(e)))?;
    let mut order: Vec<usize> = (0..regions.len()).collect();
    // Fixed regions first, lowest address first: nothing else may take their memory.
    order.sort_by_key(|&i| (regions[i].flags & monitor_spec::REGION_FIXED == 0, regions[i].phys_addr));
    let mut frames: BTreeMap<usize, RegionFrames> = BTreeMap::new();
    for i in order {
        let r = &regions[i];
        let name = spec.name(r.name);
        let ty = if r.page_size == abi::LARGE_PAGE_SIZE { ObjectType::LargePage } else { ObjectType::SmallPage };
        let count = r.size / r.page_size;
        let first = if r.flags & monitor_spec::REGION_FIXED != 0 {
            objects.create_at(ty, 0, count, r.phys_addr)
        } else {
            objects.create(ty, 0, count)
        };
        let fail = |e| (format!("region '{name}'"), e);
        let first = first.map_err(fail)?;
        let paddr = Cap::<Page>::from_bits(first).page_get_address().map_err(kernel("page get address")).map_err(fail)?;
        say!("monitor: region '{}': {:#x} bytes at paddr {:#x}", name, r.size, paddr);
        prefill(objects, first, spec.data(r.prefill)).map_err(fail)?;
        frames.insert(i, RegionFrames { first, count, page_size: r.page_size, paddr });
    }
    Ok(frames.into_values().collect())
}

/// Copies `bytes` into the region's fresh (zeroed) frames from slot `first`
/// on, a page at a time through the scratch mapping. The spec parser found
/// `bytes` no longer than the region and the region made of 4 KiB frames,
/// so chunk `k` fits frame `k`, and frame `k` is one of the region's.
fn prefill(objects: &mut Objects, first: Word, bytes: &[u8]) -> Result<(), MonitorError> {
    for (k, chunk) in bytes.chunks(abi::PAGE_SIZE as usize).enumerate() {
        let frame: Cap<Page> = Cap::from_bits(first + k as Word);
        map_scratch(objects, frame)?;
        // SAFETY: the frame is mapped read-write at SCRATCH_VADDR until
        // `unmap` below, no PD maps it yet, and `chunk` is at most a page.
        let dst = unsafe { core::slice::from_raw_parts_mut(SCRATCH_VADDR as *mut u8, chunk.len()) };
        dst.copy_from_slice(chunk);
        // A PD may map the region uncached: its view must see the bytes in RAM.
        frame.page_clean_data(0, abi::PAGE_SIZE).map_err(kernel("clean prefilled frame"))?;
        frame.page_unmap().map_err(kernel("unmap scratch"))?;
    }
    Ok(())
}

/// Maps `frame` read-write at `SCRATCH_VADDR` in the monitor's own VSpace.
fn map_scratch(objects: &mut Objects, frame: Cap<Page>) -> Result<(), MonitorError> {
    sel4_root_task::map_frame(frame, SCRATCH_VADDR, CapRights::read_write(), VmAttributes::DEFAULT, &mut |ty| {
        objects.create(ty, 0, 1).map_err(|_| sel4::Error::NotEnoughMemory)
    })
    .map_err(kernel("map scratch frame"))
}

struct Builder<'s, 'a> {
    spec: &'s Spec<'a>,
    objects: Objects,
    regions: Vec<RegionFrames>,
    pds: Vec<BuiltPd>,
    fault_ep: Cap<Endpoint>,
}

impl Builder<'_, '_> {
    fn create<T: sel4::CapType>(&mut self, ty: ObjectType, size_bits: u64) -> Result<Cap<T>, MonitorError> {
        self.objects.create(ty, size_bits, 1).map(Cap::from_bits)
    }

    fn pd(&mut self, index: usize, pd: &Pd) -> Result<BuiltPd, MonitorError> {
        let tcb: Cap<Tcb> = self.create(ObjectType::Tcb, 0)?;
        let cnode: Cap<CNode> = self.create(ObjectType::CapTable, u64::from(slot::CNODE_BITS))?;
        let vspace: Cap<PageGlobalDirectory> = self.create(ObjectType::PageGlobalDirectory, 0)?;
        init_thread::ASID_POOL.asid_pool_assign(vspace.cptr()).map_err(kernel("asid pool assign"))?;
        let notification: Cap<Notification> = self.create(ObjectType::Notification, 0)?;
        let endpoint: Option<Cap<Endpoint>> = if pd.flags & monitor_spec::PD_ENDPOINT != 0 {
            Some(self.create(ObjectType::Endpoint, 0)?)
        } else {
            None
        };

        // Every cap a PD gets carries only the rights its use needs (see
        // `monitor_spec::abi::slot`); slot::VSPACE stays empty.
        let input = endpoint.map_or(notification.bits(), Cap::bits);
        copy(cnode, slot::INPUT, input, CapRights::read_only())?;
        match self.pds.get(pd.parent as usize) {
            Some(parent) => {
                // A child's faults go to its parent, badged with its id; the
                // parent gets the child's TCB to restart or stop it.
                let parent_ep = parent.endpoint.ok_or(MonitorError::Spec(monitor_spec::SpecError::BadValue {
                    what: "parent without an endpoint of pd",
                    index,
                    value: u64::from(pd.parent),
                }))?;
                let badge = abi::FAULT_BADGE | u64::from(pd.child_id);
                mint(cnode, slot::FAULT_EP, parent_ep.bits(), CapRights::write_grant(), badge)?;
                copy(parent.cnode, slot::CHILD_TCB_BASE + u64::from(pd.child_id), tcb.bits(), CapRights::all())?;
            }
            None => mint(cnode, slot::FAULT_EP, self.fault_ep.bits(), CapRights::write_grant(), index as u64 + 1)?,
        }

        self.load_program(vspace, pd)?;
        let stack_pages = pd.stack_size / abi::PAGE_SIZE;
        let stack = self.objects.create(ObjectType::SmallPage, 0, stack_pages)?;
        for k in 0..stack_pages {
            let vaddr = abi::STACK_TOP - pd.stack_size + k * abi::PAGE_SIZE;
            self.map(vspace, Cap::from_bits(stack + k), vaddr, PERM_READ | PERM_WRITE, true)?;
        }
        let ipc_buffer: Cap<Page> = self.create(ObjectType::SmallPage, 0)?;
        self.map(vspace, ipc_buffer, abi::IPC_BUFFER_VADDR, PERM_READ | PERM_WRITE, true)?;

        for m in self.spec.maps(pd) {
            let m = m.map_err(MonitorError::Spec)?;
            let (first, count, page_size) = {
                let r = &self.regions[m.region as usize];
                (r.first, r.count, r.page_size)
            };
            for k in 0..count {
                // A frame cap maps once, so every mapping gets its own copy.
                let frame = self.objects.slot()?;
                copy(init_thread::CNODE, frame, first + k, CapRights::all())?;
                self.map(vspace, Cap::from_bits(frame), m.vaddr + k * page_size, m.perms, m.cached != 0)?;
            }
        }
        for irq in self.spec.irqs(pd) {
            let irq = irq.map_err(MonitorError::Spec)?;
            let handler: Cap<IrqHandler> = Cap::from_bits(self.objects.slot()?);
            init_thread::IRQ_CONTROL
                .irq_control_get(irq.irq as i32, init_thread::CNODE, handler.bits(), 64)
                .map_err(kernel("irq control get"))?;
            let badged = self.objects.slot()?;
            mint(init_thread::CNODE, badged, notification.bits(), CapRights::write_only(), 1 << irq.id)?;
            handler.irq_handler_set_notification(sel4::CPtr::from_bits(badged)).map_err(kernel("irq set notification"))?;
            handler.irq_handler_ack().map_err(kernel("irq ack"))?;
            copy(cnode, slot::IRQ_BASE + u64::from(irq.id), handler.bits(), CapRights::all())?;
            if irq.trigger == monitor_spec::TRIGGER_EDGE {
                say!("monitor: irq {}: seL4 5.0.0 cannot set the trigger; the GIC's configuration stands", irq.irq);
            }
        }

        let name = self.spec.name(pd.name);
        // Maximum controlled priority 1, or 0 for a PD without debug
        // syscalls (patch 0012 gates them on MCP 0). 5.0.0 checks a new
        // priority or MCP against the caller's own MCP, so a parent can set
        // a child's (through its TCB cap) to at most 1: never raise it above
        // that, and never give it debug syscalls the parent lacks.
        let priority = Word::from(pd.priority);
        let mcp = Word::from(pd.flags & monitor_spec::PD_DEBUG_SYSCALLS != 0);
        tcb.tcb_configure(
            slot::FAULT_EP,
            sel4::PrioProps::new(mcp, priority),
            cnode,
            CapData::guard(0, 64 - Word::from(slot::CNODE_BITS)),
            vspace.cast(),
            CapData::none(),
            abi::IPC_BUFFER_VADDR,
            ipc_buffer.cptr(),
        )
        .map_err(kernel("tcb configure"))?;
        if endpoint.is_some() {
            // Signals then arrive through the endpoint receive of the event loop.
            tcb.tcb_bind_notification(notification.cptr()).map_err(kernel("tcb bind notification"))?;
        }
        let regs = sel4::UserContext { pc: pd.entry, sp: abi::STACK_TOP, ..Default::default() };
        tcb.tcb_write_registers(false, 0, sel4::sys::USER_CONTEXT_WORDS as Word, &regs)
            .map_err(kernel("tcb write registers"))?;
        sel4::debug_name_thread(tcb, name);
        Ok(BuiltPd { tcb, cnode, notification, endpoint })
    }

    /// Copies the program's segments into fresh frames page by page and maps
    /// each page with the union of the permissions of the segments in it.
    fn load_program(&mut self, vspace: Cap<PageGlobalDirectory>, pd: &Pd) -> Result<(), MonitorError> {
        let segments: Vec<_> = self.spec.segments(pd).collect::<Result<_, _>>().map_err(MonitorError::Spec)?;
        let mut pages: BTreeMap<u64, u32> = BTreeMap::new();
        for s in &segments {
            let first = s.vaddr / abi::PAGE_SIZE * abi::PAGE_SIZE;
            let mut page = first;
            while page < s.vaddr + s.mem_size {
                *pages.entry(page).or_default() |= s.perms;
                page += abi::PAGE_SIZE;
            }
        }
        let patches: Vec<_> = self.spec.paddr_patches(pd).collect::<Result<_, _>>().map_err(MonitorError::Spec)?;
        for (&page, &perms) in &pages {
            let frame: Cap<Page> = self.create(ObjectType::SmallPage, 0)?;
            map_scratch(&mut self.objects, frame)?;
            // SAFETY: the frame is mapped read-write at SCRATCH_VADDR until
            // `unmap` below, and nothing else maps it yet.
            let dst = unsafe { core::slice::from_raw_parts_mut(SCRATCH_VADDR as *mut u8, abi::PAGE_SIZE as usize) };
            for s in &segments {
                let bytes = self.spec.data(s.data);
                let (start, end) = (s.vaddr.max(page), (s.vaddr + bytes.len() as u64).min(page + abi::PAGE_SIZE));
                if start < end {
                    let src = &bytes[(start - s.vaddr) as usize..(end - s.vaddr) as usize];
                    dst[(start - page) as usize..(end - page) as usize].copy_from_slice(src);
                }
            }
            for p in patches.iter().filter(|p| p.vaddr / abi::PAGE_SIZE * abi::PAGE_SIZE == page) {
                let paddr = self.regions[p.region as usize].paddr;
                let at = (p.vaddr - page) as usize;
                dst[at..at + 8].copy_from_slice(&paddr.to_le_bytes());
            }
            frame.page_unmap().map_err(kernel("unmap scratch"))?;
            self.map(vspace, frame, page, perms, true)?;
            if perms & PERM_EXECUTE != 0 {
                frame.page_unify_instruction(0, abi::PAGE_SIZE).map_err(kernel("unify instruction cache"))?;
            }
        }
        Ok(())
    }

    fn map(&mut self, vspace: Cap<PageGlobalDirectory>, frame: Cap<Page>, vaddr: u64, perms: u32, cached: bool) -> Result<(), MonitorError> {
        let rights = CapRights::new(false, perms & PERM_READ != 0, perms & PERM_WRITE != 0);
        let mut attrs = if cached { VmAttributes::PAGE_CACHEABLE } else { VmAttributes::NONE };
        if perms & PERM_EXECUTE == 0 {
            attrs = attrs.union(VmAttributes::EXECUTE_NEVER);
        }
        let objects = &mut self.objects;
        sel4_root_task::map_frame_in(vspace, frame, vaddr, rights, attrs, &mut |ty| {
            objects.create(ty, 0, 1).map_err(|_| sel4::Error::NotEnoughMemory)
        })
        .map_err(kernel("map frame into PD"))
    }

    /// Caps for each channel end: a badged notification to signal the peer,
    /// and a badged endpoint to call it.
    fn channels(&mut self, index: usize, pd: &Pd) -> Result<(), MonitorError> {
        let cnode = self.pds[index].cnode;
        for end in self.spec.ends(pd) {
            let end = end.map_err(MonitorError::Spec)?;
            let peer = &self.pds[end.peer as usize];
            if end.flags & monitor_spec::END_NOTIFY != 0 {
                let badge = 1 << end.peer_id;
                mint(cnode, slot::NOTIFY_BASE + u64::from(end.id), peer.notification.bits(), CapRights::write_only(), badge)?;
            }
            if end.flags & monitor_spec::END_PP != 0 {
                let ep = peer.endpoint.ok_or(MonitorError::Spec(monitor_spec::SpecError::BadValue {
                    what: "PPC to a PD without an endpoint from pd",
                    index,
                    value: u64::from(end.id),
                }))?;
                let badge = abi::PPC_BADGE | u64::from(end.peer_id);
                mint(cnode, slot::PP_BASE + u64::from(end.id), ep.bits(), CapRights::write_grant(), badge)?;
            }
        }
        Ok(())
    }
}

/// Resumes every PD, highest priority first.
fn start(priorities: &[u8], pds: &[BuiltPd]) -> Result<(), MonitorError> {
    let mut order: Vec<(u8, usize)> = priorities.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    order.sort_by(|a, b| b.cmp(a));
    for (_, i) in order {
        pds[i].tcb.tcb_resume().map_err(kernel("tcb resume"))?;
    }
    Ok(())
}

/// Depth to resolve a slot index in `cnode`: our own CNode's cap carries a
/// guard that makes 64-bit indices resolve; a PD's CNode cap has none (the
/// guard goes into the PD's TCB), so its indices are `CNODE_BITS` deep.
fn depth(cnode: Cap<CNode>) -> u8 {
    if cnode == init_thread::CNODE {
        64
    } else {
        slot::CNODE_BITS
    }
}

fn copy(dst: Cap<CNode>, dst_slot: Word, src_slot: Word, rights: CapRights) -> Result<(), MonitorError> {
    dst.cnode_copy(dst_slot, depth(dst), init_thread::CNODE, src_slot, 64, rights).map_err(kernel("cnode copy"))
}

fn mint(dst: Cap<CNode>, dst_slot: Word, src_slot: Word, rights: CapRights, badge: u64) -> Result<(), MonitorError> {
    dst.cnode_mint(dst_slot, depth(dst), init_thread::CNODE, src_slot, 64, rights, CapData::badge(badge))
        .map_err(kernel("cnode mint"))
}
