//! Threads a test creates: same VSpace and CSpace as the driver, objects and
//! stack from the test's memory, faults reported to the driver unless the
//! test says otherwise.

use sel4::cap_type::{Endpoint, Tcb};
use sel4::{Cap, CapRights, ObjectType, Word};

use crate::{Env, Failure, Process, ResultExt};

/// Stack of each test thread, in pages (below it stays an unmapped guard page).
const STACK_PAGES: Word = 4;
/// Test threads may give threads they create priorities up to this; the
/// driver runs above it.
pub const MAX_TEST_PRIORITY: u8 = 254;

#[derive(Clone, Copy, Debug)]
pub struct Thread {
    pub tcb: Cap<Tcb>,
    /// Address of the thread's IPC buffer.
    pub ipc_buffer: Word,
}

impl Thread {
    pub fn resume(&self) -> Result<(), Failure> {
        self.tcb.tcb_resume().or_fail("resume thread")
    }

    pub fn suspend(&self) -> Result<(), Failure> {
        self.tcb.tcb_suspend().or_fail("suspend thread")
    }
}

/// Where every test thread starts: x0 = argument, x1 = the function, x2 = its
/// own TCB. When the function returns the thread suspends itself.
extern "C" fn thread_entry(arg: Word, entry: usize, tcb: Word) -> ! {
    // SAFETY: every starter of this entry (`thread_on`, `process_thread`)
    // puts a `fn(Word)` of this image in x1, and a process maps the image at
    // the same addresses, so the pointer is valid wherever the thread runs.
    let entry: fn(Word) = unsafe { core::mem::transmute::<usize, fn(Word)>(entry) };
    entry(arg);
    let _ = Cap::<Tcb>::from_bits(tcb).tcb_suspend();
    loop {
        sel4::r#yield();
    }
}

impl Env {
    /// Creates a thread that will run `entry(arg)` at `priority`, with
    /// `fault_ep` as its fault endpoint (None: the driver's, which fails the
    /// test). It starts only when `resume` is true or `Thread::resume` is called.
    pub fn thread(
        &mut self,
        entry: fn(Word),
        arg: Word,
        priority: u8,
        fault_ep: Option<Cap<Endpoint>>,
        resume: bool,
    ) -> Result<Thread, Failure> {
        let tcb: Cap<Tcb> = self.create(ObjectType::Tcb, 0)?;
        self.thread_on(tcb, entry, arg, priority, fault_ep, resume)
    }

    /// The same with a TCB the test made itself (from memory it chose).
    pub fn thread_on(
        &mut self,
        tcb: Cap<Tcb>,
        entry: fn(Word),
        arg: Word,
        priority: u8,
        fault_ep: Option<Cap<Endpoint>>,
        resume: bool,
    ) -> Result<Thread, Failure> {
        let stack_base = self.reserve_pages(STACK_PAGES)?;
        for page in 0..STACK_PAGES {
            let frame = self.create(ObjectType::SmallPage, 0)?;
            self.map(frame, stack_base + page * crate::env::PAGE_SIZE, CapRights::read_write(), sel4::VmAttributes::DEFAULT)?;
        }
        let ipc = self.new_frame()?;
        sel4_root_task::start_thread(&sel4_root_task::ThreadStart {
            tcb,
            fault_ep: fault_ep.unwrap_or(self.fault_ep()).bits(),
            mcp: MAX_TEST_PRIORITY,
            priority,
            ipc_buffer: ipc.vaddr,
            ipc_buffer_frame: ipc.cap.cptr(),
            pc: thread_entry as *const () as Word,
            sp: stack_base + STACK_PAGES * crate::env::PAGE_SIZE,
            args: [arg, entry as usize as Word, tcb.bits()],
            resume,
        })
        .or_fail("start thread")?;
        Ok(Thread { tcb, ipc_buffer: ipc.vaddr })
    }

    /// Creates and starts the thread running the test body, noting its TCB.
    pub(crate) fn start_body(&mut self, entry: fn(Word), priority: u8) -> Result<Thread, Failure> {
        let tcb: Cap<Tcb> = self.create(ObjectType::Tcb, 0)?;
        self.tcb = Some(tcb);
        self.thread_on(tcb, entry, 0, priority, None, true)
    }

    /// Creates and starts a thread running `entry(arg)` at `priority`.
    pub fn spawn(&mut self, entry: fn(Word), arg: Word, priority: u8) -> Result<Thread, Failure> {
        self.thread(entry, arg, priority, None, true)
    }

    /// Creates a thread in `process` that will run `entry(arg)` at
    /// `priority`; `fault_ep` (a cap of the test's, None: the driver's) is
    /// copied into the process for it. `arg` is passed as is: cptrs in it
    /// must be the process's (see `Env::give`).
    pub fn process_thread(
        &mut self,
        process: &mut Process,
        entry: fn(Word),
        arg: Word,
        priority: u8,
        fault_ep: Option<Cap<Endpoint>>,
        resume: bool,
    ) -> Result<Thread, Failure> {
        let tcb: Cap<Tcb> = self.create(ObjectType::Tcb, 0)?;
        let own_tcb = self.give(process, tcb)?;
        let fault_ep = self.give(process, fault_ep.unwrap_or(self.fault_ep()))?;
        let ipc = self.create(ObjectType::SmallPage, 0)?;
        let ipc_vaddr = process.reserve_pages(1);
        // Configured before the frame cap moves into the process (the TCB keeps its own copy).
        tcb.tcb_configure(
            fault_ep.bits(),
            sel4::PrioProps::new(Word::from(MAX_TEST_PRIORITY), Word::from(priority)),
            process.cnode,
            process.cspace_data(),
            process.vspace.cast(),
            sel4::CapData::none(),
            ipc_vaddr,
            ipc.cptr(),
        )
        .or_fail("configure the process's thread")?;
        self.map_in_process(process, ipc, ipc_vaddr, CapRights::read_write(), sel4::VmAttributes::DEFAULT)?;
        let stack_base = process.reserve_pages(STACK_PAGES);
        for page in 0..STACK_PAGES {
            let frame = self.create(ObjectType::SmallPage, 0)?;
            let vaddr = stack_base + page * crate::env::PAGE_SIZE;
            self.map_in_process(process, frame, vaddr, CapRights::read_write(), sel4::VmAttributes::DEFAULT)?;
        }
        let regs = sel4::UserContext {
            pc: thread_entry as *const () as Word,
            sp: stack_base + STACK_PAGES * crate::env::PAGE_SIZE,
            x0: arg,
            x1: entry as usize as Word,
            x2: own_tcb.bits(),
            ..Default::default()
        };
        tcb.tcb_write_registers(resume, 0, sel4::sys::USER_CONTEXT_WORDS as Word, &regs).or_fail("start the process's thread")?;
        Ok(Thread { tcb, ipc_buffer: ipc_vaddr })
    }
}
