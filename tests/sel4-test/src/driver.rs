//! Runs the selected tests one at a time. For each: carve a fresh untyped
//! region, run the test's body in a new thread (the driver is its fault
//! handler), wait for it to finish or fault, report, then revoke the region
//! and empty the test's slots so the next test starts clean.

use core::ptr::addr_of_mut;

use pl011::Pl011;
use sel4::cap_type::{Endpoint, Page, Untyped};
use sel4::{init_thread, BootInfo, Cap, CapRights, Fault, ObjectType, VmAttributes, Word};

use crate::console::say;
use crate::{filter, registry, Env, Failure, TestCase, TestResult};

/// Each test's memory: 8 MiB of untyped.
const TEST_UNTYPED_BITS: u8 = 23;
/// CNode slots each test may fill.
const TEST_SLOTS: Word = 2048;
/// Each test's window of virtual addresses (above the root task's image).
const TEST_VADDRS: core::ops::Range<Word> = 0x10_0000_0000..0x10_4000_0000;
/// The priority test bodies run at; they may create threads above and below.
const TEST_PRIORITY: u8 = 100;
/// Badges on the driver's endpoint: a test finished, or one of its threads faulted.
const BADGE_DONE: Word = 1;
const BADGE_FAULT: Word = 2;
const MAX_TESTS: usize = 512;
/// The driver's own objects (endpoint, the PL011's paging structures) fit in 64 KiB.
const OWN_UNTYPED_BITS: u8 = 16;
/// Where the driver maps the PL011 (below the tests' window).
const UART_VADDR: Word = 0x0f00_0000;

/// What the driver hands the test thread, and the outcome it hands back.
struct Run {
    case: &'static TestCase,
    env: Env,
    result: TestResult,
    done: Cap<Endpoint>,
}

static mut RUN: Option<Run> = None;

fn run_body(_: Word) {
    // SAFETY: the driver fills RUN before starting this thread and reads it only
    // after this thread has signalled `done`, so the accesses never overlap.
    let run = unsafe { (*addr_of_mut!(RUN)).as_mut() };
    if let Some(run) = run {
        run.result = (run.case.body)(&mut run.env);
        run.done.send(sel4::MessageInfo::new(0, 0, 0, 0));
    }
}

/// The driver's own resources, from bootinfo.
struct Driver {
    /// Parent of every test's untyped region; revoked after each test.
    arena: Word,
    endpoint: Cap<Endpoint>,
    done: Cap<Endpoint>,
    fault: Cap<Endpoint>,
    test_untyped: Word,
    test_slots: core::ops::Range<Word>,
    /// The PL011's register frame, which tests get copies of.
    uart: Cap<Page>,
    bootinfo: &'static BootInfo,
}

fn setup(bi: &'static BootInfo) -> Result<Driver, Failure> {
    use crate::ResultExt;
    let empty = bi.empty.range();
    let mut next = empty.start;
    let mut slot = || {
        next += 1;
        next - 1
    };
    let cnode = init_thread::CNODE;
    let ram = || bi.untyped_list().iter().enumerate().filter(|(_, u)| !u.is_device());
    // The largest RAM untyped becomes the test arena; another one holds the driver's objects.
    let (arena_index, arena) = ram().max_by_key(|(_, u)| u.size_bits).ok_or_else(|| Failure::new(format_args!("no RAM untyped")))?;
    crate::check!(arena.size_bits > TEST_UNTYPED_BITS, "largest untyped has only 2^{} bytes", { arena.size_bits });
    let (own_index, _) = ram()
        .filter(|&(i, u)| i != arena_index && u.size_bits >= OWN_UNTYPED_BITS)
        .min_by_key(|(_, u)| u.size_bits)
        .ok_or_else(|| Failure::new(format_args!("no untyped for the driver's objects")))?;
    let own = Cap::<Untyped>::from_bits(bi.untyped.start + own_index as Word);
    let endpoint_slot = slot();
    own.untyped_retype(ObjectType::Endpoint as Word, 0, cnode, 0, 0, endpoint_slot, 1).or_fail("driver endpoint")?;
    let endpoint = Cap::<Endpoint>::from_bits(endpoint_slot);
    let (done, fault) = (slot(), slot());
    for (dest, badge) in [(done, BADGE_DONE), (fault, BADGE_FAULT)] {
        cnode
            .cnode_mint(dest, 64, cnode, endpoint_slot, 64, CapRights::all(), sel4::CapData::badge(badge))
            .or_fail("mint driver endpoint")?;
    }
    let uart = map_uart(bi, own, &mut slot)?;
    if !sel4::DEBUG_BUILD {
        // SAFETY: the driver never unmaps the frame it just mapped there.
        unsafe { crate::console::use_uart(UART_VADDR) };
    }
    let test_untyped = slot();
    let test_start = next;
    crate::check!(test_start + TEST_SLOTS <= empty.end, "not enough empty slots for tests");
    Ok(Driver {
        arena: bi.untyped.start + arena_index as Word,
        endpoint,
        done: Cap::from_bits(done),
        fault: Cap::from_bits(fault),
        test_untyped,
        test_slots: test_start..test_start + TEST_SLOTS,
        uart,
        bootinfo: bi,
    })
}

/// Retypes the PL011's register frame from its device untyped and maps it at
/// `UART_VADDR`, paging structures from `own`.
fn map_uart(bi: &BootInfo, own: Cap<Untyped>, slot: &mut dyn FnMut() -> Word) -> Result<Cap<Page>, Failure> {
    use crate::ResultExt;
    let cnode = init_thread::CNODE;
    let index = bi
        .untyped_list()
        .iter()
        .position(|u| u.is_device() && u.paddr == Pl011::PADDR)
        .ok_or_else(|| Failure::new(format_args!("no device untyped at the PL011 ({:#x})", Pl011::PADDR)))?;
    let frame = slot();
    Cap::<Untyped>::from_bits(bi.untyped.start + index as Word)
        .untyped_retype(ObjectType::SmallPage as Word, 0, cnode, 0, 0, frame, 1)
        .or_fail("retype the PL011's frame")?;
    let frame = Cap::<Page>::from_bits(frame);
    sel4_root_task::map_frame(frame, UART_VADDR, CapRights::read_write(), VmAttributes::NONE, &mut |ty| {
        let table = slot();
        own.untyped_retype(ty as Word, 0, cnode, 0, 0, table, 1).map(|_| table)
    })
    .or_fail("map the PL011")?;
    Ok(frame)
}

impl Driver {
    fn run(&self, case: &'static TestCase) -> Result<TestResult, Failure> {
        use crate::ResultExt;
        let cnode = init_thread::CNODE;
        Cap::<Untyped>::from_bits(self.arena)
            .untyped_retype(ObjectType::Untyped as Word, Word::from(TEST_UNTYPED_BITS), cnode, 0, 0, self.test_untyped, 1)
            .or_fail("carve the test's untyped")?;
        let env = Env::new(Cap::from_bits(self.test_untyped), self.test_slots.clone(), TEST_VADDRS, self.fault, self.uart, self.bootinfo);
        // SAFETY: no test thread exists between tests, so nothing else touches RUN.
        let run = unsafe { &mut *addr_of_mut!(RUN) };
        let run = run.insert(Run { case, env, result: Ok(()), done: self.done });
        let outcome = match run.env.start_body(run_body, TEST_PRIORITY) {
            Err(failure) => Err(failure),
            Ok(_) => {
                let (info, badge) = self.endpoint.recv();
                if badge == BADGE_DONE {
                    // SAFETY: the body wrote its result before signalling and
                    // touches RUN no more (it only returns and suspends itself).
                    unsafe { (*addr_of_mut!(RUN)).as_mut().map_or(Ok(()), |r| r.result.clone()) }
                } else {
                    Err(Failure::new(format_args!("a test thread faulted: {}", Fault::decode(info))))
                }
            }
        };
        self.clean_up()?;
        Ok(outcome)
    }

    /// Deletes everything the test created (revoking the arena removes the
    /// test's untyped and all objects retyped from it) and empties its slots
    /// (which removes its copies of the driver's caps).
    fn clean_up(&self) -> Result<(), Failure> {
        use crate::ResultExt;
        let cnode = init_thread::CNODE;
        cnode.cnode_revoke(self.arena, 64).or_fail("revoke the test arena")?;
        for slot in self.test_slots.clone() {
            cnode.cnode_delete(slot, 64).or_fail("empty a test slot")?;
        }
        Ok(())
    }
}

/// Runs every selected test of this program and reports, then stops the
/// driver. `filter`: see `filter.rs`; None runs the default set.
pub fn run_suite(suite: &str, bi: &'static BootInfo, filter: Option<&str>) -> ! {
    // Set up before printing: on a release kernel that maps the console.
    let driver = setup(bi);
    let filter = filter.map(str::trim).filter(|f| !f.is_empty());
    let mut cases: heapless::Vec<&'static TestCase, MAX_TESTS> = heapless::Vec::new();
    for case in registry::all().iter().filter(|c| filter::selects(filter, c)) {
        if cases.push(case).is_err() {
            say!("suite {suite}: more than {MAX_TESTS} tests; running the first {MAX_TESTS}");
            break;
        }
    }
    cases.sort_unstable_by_key(|c| c.name);
    say!("Running suite {suite}: {} tests (filter: {})", cases.len(), filter.unwrap_or("default"));
    let driver = match driver {
        Ok(d) => d,
        Err(failure) => {
            say!("suite {suite}: cannot set up the test driver: {failure}");
            say!("0 passed, 1 failed");
            finish()
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        say!("Starting test {}: {}", i + 1, case.name);
        match driver.run(case) {
            Ok(Ok(())) => {
                passed += 1;
                say!("Test {} passed", case.name);
            }
            Ok(Err(failure)) => {
                failed += 1;
                say!("Test {} failed: {failure}", case.name);
            }
            Err(failure) => {
                failed += 1;
                say!("Test {} failed: {failure}", case.name);
                say!("suite {suite}: cannot clean up after {}; stopping", case.name);
                break;
            }
        }
    }
    let verdict = if failed == 0 { "passed" } else { "failed" };
    say!("Test suite {verdict}. {passed} tests passed. {failed} tests failed.");
    say!("{passed} passed, {failed} failed");
    finish()
}

/// The end marker the harness stops reading at, then the driver stops.
fn finish() -> ! {
    say!("*** suite finished ***");
    sel4_root_task::halt()
}
