//! Runs the selected tests one at a time. For each: carve a fresh untyped
//! region, run the test's body in a new thread (the driver is its fault
//! handler), wait for it to finish or fault, report, then revoke the region
//! and empty the test's slots so the next test starts clean.

use core::ptr::addr_of_mut;

use sel4::cap_type::{Endpoint, Untyped};
use sel4::{debug_println, init_thread, BootInfo, Cap, CapRights, Fault, ObjectType, Word};

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
        .filter(|&(i, u)| i != arena_index && u.size_bits >= 12)
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
        bootinfo: bi,
    })
}

impl Driver {
    fn run(&self, case: &'static TestCase) -> Result<TestResult, Failure> {
        use crate::ResultExt;
        let cnode = init_thread::CNODE;
        Cap::<Untyped>::from_bits(self.arena)
            .untyped_retype(ObjectType::Untyped as Word, Word::from(TEST_UNTYPED_BITS), cnode, 0, 0, self.test_untyped, 1)
            .or_fail("carve the test's untyped")?;
        let env = Env::new(Cap::from_bits(self.test_untyped), self.test_slots.clone(), TEST_VADDRS, self.fault, self.bootinfo);
        // SAFETY: no test thread exists between tests, so nothing else touches RUN.
        let run = unsafe { &mut *addr_of_mut!(RUN) };
        let run = run.insert(Run { case, env, result: Ok(()), done: self.done });
        let outcome = match run.env.spawn(run_body, 0, TEST_PRIORITY) {
            Err(failure) => Err(failure),
            Ok(_) => {
                let (info, badge) = self.endpoint.recv();
                if badge == BADGE_DONE {
                    // SAFETY: the test thread has signalled and is blocked or done.
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
    /// test's untyped and all objects retyped from it; revoking the device
    /// untypeds removes device frames) and empties its slots.
    fn clean_up(&self) -> Result<(), Failure> {
        use crate::ResultExt;
        let cnode = init_thread::CNODE;
        cnode.cnode_revoke(self.arena, 64).or_fail("revoke the test arena")?;
        let bi = self.bootinfo;
        for (i, _) in bi.untyped_list().iter().enumerate().filter(|(_, u)| u.is_device()) {
            cnode.cnode_revoke(bi.untyped.start + i as Word, 64).or_fail("revoke a device untyped")?;
        }
        for slot in self.test_slots.clone() {
            cnode.cnode_delete(slot, 64).or_fail("empty a test slot")?;
        }
        Ok(())
    }
}

/// Runs every selected test of this program and reports, then stops the
/// driver. `filter`: see `filter.rs`; None runs the default set.
pub fn run_suite(suite: &str, bi: &'static BootInfo, filter: Option<&str>) -> ! {
    let filter = filter.map(str::trim).filter(|f| !f.is_empty());
    let mut cases: heapless::Vec<&'static TestCase, MAX_TESTS> = heapless::Vec::new();
    for case in registry::all().iter().filter(|c| filter::selects(filter, c)) {
        if cases.push(case).is_err() {
            debug_println!("suite {suite}: more than {MAX_TESTS} tests; running the first {MAX_TESTS}");
            break;
        }
    }
    cases.sort_unstable_by_key(|c| c.name);
    debug_println!("Running suite {suite}: {} tests (filter: {})", cases.len(), filter.unwrap_or("default"));

    let driver = match setup(bi) {
        Ok(d) => d,
        Err(failure) => {
            debug_println!("suite {suite}: cannot set up the test driver: {failure}");
            debug_println!("0 passed, 1 failed");
            finish()
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        debug_println!("Starting test {}: {}", i + 1, case.name);
        match driver.run(case) {
            Ok(Ok(())) => {
                passed += 1;
                debug_println!("Test {} passed", case.name);
            }
            Ok(Err(failure)) => {
                failed += 1;
                debug_println!("Test {} failed: {failure}", case.name);
            }
            Err(failure) => {
                failed += 1;
                debug_println!("Test {} failed: {failure}", case.name);
                debug_println!("suite {suite}: cannot clean up after {}; stopping", case.name);
                break;
            }
        }
    }
    let verdict = if failed == 0 { "passed" } else { "failed" };
    debug_println!("Test suite {verdict}. {passed} tests passed. {failed} tests failed.");
    debug_println!("{passed} passed, {failed} failed");
    finish()
}

/// The end marker the harness stops reading at, then the driver stops.
fn finish() -> ! {
    debug_println!("*** suite finished ***");
    sel4_root_task::halt()
}
