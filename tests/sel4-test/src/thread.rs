//! Threads a test creates: same VSpace and CSpace as the driver, objects and
//! stack from the test's memory, faults reported to the driver unless the
//! test says otherwise.

use sel4::cap_type::{Endpoint, Tcb};
use sel4::{Cap, CapRights, ObjectType, Word};

use crate::{Env, Failure, ResultExt};

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
    // SAFETY: `Env::thread` stores a `fn(Word)` in x1 and nothing else.
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
}
