//! The fresh environment each test runs in: an untyped region of its own (all
//! its objects come from there, and revoking it afterwards removes them, its
//! threads and its mappings), a range of empty CNode slots, and a window of
//! virtual addresses in the shared VSpace. The one device tests use, the
//! PL011, comes as a copy of the driver's frame.

use core::ops::Range;

use sel4::cap_type::{AsidPool, CNode, Endpoint, IrqControl, Notification, Page, PageGlobalDirectory, Tcb, Untyped};
use sel4::{init_thread, BootInfo, Cap, CapRights, CapType, ObjectType, VmAttributes, Word};

use crate::{Failure, ResultExt};

pub const PAGE_SIZE: Word = 1 << sel4::consts::PAGE_BITS;

pub struct Env {
    pub cnode: Cap<CNode>,
    pub vspace: Cap<PageGlobalDirectory>,
    pub irq_control: Cap<IrqControl>,
    untyped: Cap<Untyped>,
    slots: Range<Word>,
    vaddrs: Range<Word>,
    /// Badged endpoint the driver receives this test's faults on.
    fault_ep: Cap<Endpoint>,
    /// The driver's PL011 frame (see `uart_frame`).
    uart: Cap<Page>,
    bootinfo: &'static BootInfo,
    /// The TCB of the thread running the test body (set when the driver starts it).
    pub(crate) tcb: Option<Cap<Tcb>>,
}

/// A frame mapped into the test's window.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub cap: Cap<Page>,
    pub vaddr: Word,
}

impl Frame {
    pub fn ptr<T>(&self) -> *mut T {
        self.vaddr as *mut T
    }
}

/// A VSpace and a CSpace of a test's own. This program's image is mapped in
/// it at the addresses it has in the driver's VSpace, from copies of the image
/// frame caps: the same memory, so its code runs there and its statics are
/// the driver's. Every cap the process needs lives in its CNode; the test
/// keeps only the CNode, the VSpace and the TCBs it makes.
pub struct Process {
    pub vspace: Cap<PageGlobalDirectory>,
    pub cnode: Cap<CNode>,
    cnode_bits: u8,
    next_slot: Word,
    next_vaddr: Word,
    /// Four slots of the test's CNode where caps wait to move into the process.
    scratch: Word,
}

/// Slots a process has beyond its image frames.
const PROCESS_SPARE_SLOTS: Word = 128;
/// Where a process's stacks and IPC buffers go (far from the image).
const PROCESS_VADDRS: Word = 0x40_0000_0000;

impl Process {
    /// Reserves `pages` pages of the process's address space after a guard page.
    pub(crate) fn reserve_pages(&mut self, pages: Word) -> Word {
        let start = self.next_vaddr + PAGE_SIZE;
        self.next_vaddr = start + pages * PAGE_SIZE;
        start
    }

    fn take_slot(&mut self) -> Result<Word, Failure> {
        if self.next_slot >> self.cnode_bits != 0 {
            return Err(Failure::new(format_args!("process ran out of CNode slots")));
        }
        self.next_slot += 1;
        Ok(self.next_slot - 1)
    }

    /// The guard that makes a 64-bit cptr name slot n of the process's CNode.
    pub(crate) fn cspace_data(&self) -> sel4::CapData {
        sel4::CapData::guard(0, 64 - Word::from(self.cnode_bits))
    }
}

impl Env {
    pub(crate) fn new(
        untyped: Cap<Untyped>,
        slots: Range<Word>,
        vaddrs: Range<Word>,
        fault_ep: Cap<Endpoint>,
        uart: Cap<Page>,
        bootinfo: &'static BootInfo,
    ) -> Self {
        Env {
            cnode: init_thread::CNODE,
            vspace: init_thread::VSPACE,
            irq_control: init_thread::IRQ_CONTROL,
            untyped,
            slots,
            vaddrs,
            fault_ep,
            uart,
            bootinfo,
            tcb: None,
        }
    }

    /// The TCB of the thread running the test body, for tests of a thread
    /// acting on itself. Null before the driver starts the body.
    pub fn tcb(&self) -> Cap<Tcb> {
        self.tcb.unwrap_or(Cap::from_bits(0))
    }

    /// A copy of the PL011's register frame (the driver retyped the frame at
    /// boot and prints through it on a release kernel), for the test to map.
    pub fn uart_frame(&mut self) -> Result<Cap<Page>, Failure> {
        let slot = self.alloc_slot()?;
        self.cnode.cnode_copy(slot, 64, self.cnode, self.uart.bits(), 64, CapRights::all()).or_fail("copy the PL011's frame")?;
        Ok(Cap::from_bits(slot))
    }

    /// The slots of the frames holding this program's image, first page first.
    fn image_frames(&self) -> Range<Word> {
        self.bootinfo.user_image_frames.start..self.bootinfo.user_image_frames.end
    }

    /// This test's untyped memory (tests of retype may use it directly).
    pub fn untyped(&self) -> Cap<Untyped> {
        self.untyped
    }

    /// The endpoint the driver receives this test's faults on.
    pub fn fault_ep(&self) -> Cap<Endpoint> {
        self.fault_ep
    }

    /// An empty slot of the root CNode, emptied again after the test.
    pub fn alloc_slot(&mut self) -> Result<Word, Failure> {
        if self.slots.is_empty() {
            return Err(Failure::new(format_args!("test ran out of CNode slots")));
        }
        self.slots.start += 1;
        Ok(self.slots.start - 1)
    }

    /// Retypes one object of `ty` into a fresh slot.
    #[track_caller]
    pub fn create<T: CapType>(&mut self, ty: ObjectType, size_bits: Word) -> Result<Cap<T>, Failure> {
        let slot = self.alloc_slot()?;
        self.untyped
            .untyped_retype(ty as Word, size_bits, self.cnode, 0, 0, slot, 1)
            .or_fail("retype")?;
        Ok(Cap::from_bits(slot))
    }

    pub fn endpoint(&mut self) -> Result<Cap<Endpoint>, Failure> {
        self.create(ObjectType::Endpoint, 0)
    }

    pub fn notification(&mut self) -> Result<Cap<Notification>, Failure> {
        self.create(ObjectType::Notification, 0)
    }

    /// Copies `src` into a fresh slot with `rights` and `badge`.
    #[track_caller]
    pub fn mint<T: CapType>(&mut self, src: Cap<T>, rights: CapRights, badge: Word) -> Result<Cap<T>, Failure> {
        let slot = self.alloc_slot()?;
        self.cnode
            .cnode_mint(slot, 64, self.cnode, src.bits(), 64, rights, sel4::CapData::badge(badge))
            .or_fail("mint")?;
        Ok(Cap::from_bits(slot))
    }

    /// Reserves `pages` pages of the test's address window, after one unmapped
    /// guard page.
    pub fn reserve_pages(&mut self, pages: Word) -> Result<Word, Failure> {
        let start = self.vaddrs.start + PAGE_SIZE;
        let end = start + pages * PAGE_SIZE;
        if end > self.vaddrs.end {
            return Err(Failure::new(format_args!("test ran out of virtual address space")));
        }
        self.vaddrs.start = end;
        Ok(start)
    }

    /// Maps `frame` at `vaddr`, creating paging structures from the test's memory.
    #[track_caller]
    pub fn map(&mut self, frame: Cap<Page>, vaddr: Word, rights: CapRights, attrs: VmAttributes) -> Result<(), Failure> {
        let (untyped, cnode, slots) = (self.untyped, self.cnode, &mut self.slots);
        sel4_root_task::map_frame_in(self.vspace, frame, vaddr, rights, attrs, &mut |ty| {
            if slots.is_empty() {
                // Out of test slots: reported as the map failing for lack of resources.
                return Err(sel4::Error::NotEnoughMemory);
            }
            let slot = slots.start;
            slots.start += 1;
            untyped.untyped_retype(ty as Word, 0, cnode, 0, 0, slot, 1).map(|_| slot)
        })
        .or_fail("map frame")
    }

    /// A fresh frame mapped read-write in the test's window.
    pub fn new_frame(&mut self) -> Result<Frame, Failure> {
        let cap = self.create(ObjectType::SmallPage, 0)?;
        let vaddr = self.reserve_pages(1)?;
        self.map(cap, vaddr, CapRights::read_write(), VmAttributes::DEFAULT)?;
        Ok(Frame { cap, vaddr })
    }

    /// Runs `f` with objects from `untyped` (a child of the test's) instead of
    /// the test's memory, then removes all it made: revokes `untyped` and
    /// empties the slots `f` took, for a loop that would otherwise run out.
    pub fn scope<R>(&mut self, untyped: Cap<Untyped>, f: impl FnOnce(&mut Env) -> Result<R, Failure>) -> Result<R, Failure> {
        let (own, first) = (self.untyped, self.slots.start);
        self.untyped = untyped;
        let result = f(self);
        self.untyped = own;
        self.cnode.cnode_revoke(untyped.bits(), 64).or_fail("revoke the scope's untyped")?;
        for slot in first..self.slots.start {
            self.cnode.cnode_delete(slot, 64).or_fail("empty a slot of the scope")?;
        }
        self.slots.start = first;
        result
    }

    /// A process whose VSpace takes an ASID from `pool`.
    pub fn process(&mut self, pool: Cap<AsidPool>) -> Result<Process, Failure> {
        let frames = self.image_frames();
        let slots = frames.end - frames.start + PROCESS_SPARE_SLOTS;
        let cnode_bits = slots.next_power_of_two().trailing_zeros() as u8;
        let cnode = self.create(ObjectType::CapTable, Word::from(cnode_bits))?;
        let vspace: Cap<PageGlobalDirectory> = self.create(ObjectType::PageGlobalDirectory, 0)?;
        pool.asid_pool_assign(vspace.cptr()).or_fail("assign the process's VSpace an ASID")?;
        let scratch = self.alloc_slot()?;
        for _ in 1..4 {
            self.alloc_slot()?;
        }
        let mut process = Process { vspace, cnode, cnode_bits, next_slot: 1, next_vaddr: PROCESS_VADDRS, scratch };
        extern "C" {
            static __ehdr_start: u8;
        }
        // The linker's image-start symbol: only its address is used.
        let image_base = core::ptr::addr_of!(__ehdr_start) as Word;
        for (i, frame) in frames.enumerate() {
            self.cnode.cnode_copy(scratch, 64, self.cnode, frame, 64, CapRights::all()).or_fail("copy an image frame cap")?;
            let vaddr = image_base + i as Word * PAGE_SIZE;
            self.map_in_process(&mut process, Cap::from_bits(scratch), vaddr, CapRights::read_write(), VmAttributes::DEFAULT)?;
        }
        Ok(process)
    }

    /// Maps `frame` at `vaddr` in `process` with paging structures from the
    /// test's memory, then moves the frame cap and theirs into the process.
    #[track_caller]
    pub fn map_in_process(
        &mut self,
        process: &mut Process,
        frame: Cap<Page>,
        vaddr: Word,
        rights: CapRights,
        attrs: VmAttributes,
    ) -> Result<(), Failure> {
        let (untyped, cnode) = (self.untyped, self.cnode);
        let mut tables: heapless::Vec<Word, 3> = heapless::Vec::new();
        let scratch = process.scratch;
        sel4_root_task::map_frame_in(process.vspace, frame, vaddr, rights, attrs, &mut |ty| {
            let slot = scratch + 1 + tables.len() as Word;
            untyped.untyped_retype(ty as Word, 0, cnode, 0, 0, slot, 1)?;
            tables.push(slot).map_err(|_| sel4::Error::NotEnoughMemory)?;
            Ok(slot)
        })
        .or_fail("map a frame in the process")?;
        for slot in core::iter::once(frame.bits()).chain(tables) {
            let dest = process.take_slot()?;
            process.cnode.cnode_move(dest, process.cnode_bits, cnode, slot, 64).or_fail("move a cap into the process")?;
        }
        Ok(())
    }

    /// Copies `cap` into `process`'s CSpace; returns its cptr there.
    pub fn give<T: CapType>(&mut self, process: &mut Process, cap: Cap<T>) -> Result<Cap<T>, Failure> {
        let slot = process.take_slot()?;
        process.cnode.cnode_copy(slot, process.cnode_bits, self.cnode, cap.bits(), 64, CapRights::all()).or_fail("copy a cap into the process")?;
        Ok(Cap::from_bits(slot))
    }
}
