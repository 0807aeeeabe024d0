//! Scheduling: priorities, preemption, yield, suspend/resume, MCP limits.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sel4::cap_type::{Notification, Tcb};
use sel4::{Cap, Error, Word};
use sel4_test::{check, check_eq, check_err, test_case, Env, ResultExt, TestResult};

/// The test body's priority (set by the driver).
const BODY_PRIORITY: u8 = 100;
/// Spins a busy thread may make waiting for the other one; far more than one
/// time slice (10 ms), so reaching it means the other thread never ran.
const SPIN_LIMIT: u64 = 400_000_000;

static RAN: AtomicBool = AtomicBool::new(false);

fn mark_ran(_: Word) {
    RAN.store(true, Ordering::SeqCst);
}

test_case!(SCHED0001, "a thread started above the creator's priority runs before the creator continues", sched0001);
fn sched0001(env: &mut Env) -> TestResult {
    RAN.store(false, Ordering::SeqCst);
    env.spawn(mark_ran, 0, BODY_PRIORITY + 1)?;
    check!(RAN.load(Ordering::SeqCst), "the higher-priority thread had not run");
    Ok(())
}

test_case!(SCHED0002, "a lower-priority thread waits; once raised above the caller it runs at the caller's next yield", sched0002);
fn sched0002(env: &mut Env) -> TestResult {
    RAN.store(false, Ordering::SeqCst);
    let thread = env.spawn(mark_ran, 0, BODY_PRIORITY - 1)?;
    sel4::r#yield();
    check!(!RAN.load(Ordering::SeqCst), "a lower-priority thread ran while the creator was runnable");
    thread.tcb.tcb_set_priority(BODY_PRIORITY + 1).or_fail("raise the thread's priority")?;
    // 5.0.0's setPriority only requeues the thread (no switch), so give the scheduler a chance.
    sel4::r#yield();
    check!(RAN.load(Ordering::SeqCst), "the raised thread had not run");
    Ok(())
}

/// Per thread (index = argument): steps done, and times the other thread had
/// not moved while this one yielded.
static STEPS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static MISSES: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static GO: AtomicBool = AtomicBool::new(false);
/// Notification each worker signals when it finishes, and how many have.
static DONE: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicU64 = AtomicU64::new(0);
const YIELD_STEPS: u64 = 50;

fn reset_workers() {
    for i in 0..2 {
        STEPS[i].store(0, Ordering::SeqCst);
        MISSES[i].store(0, Ordering::SeqCst);
    }
    GO.store(false, Ordering::SeqCst);
    FINISHED.store(0, Ordering::SeqCst);
}

fn finish() {
    FINISHED.fetch_add(1, Ordering::SeqCst);
    Cap::<Notification>::from_bits(DONE.load(Ordering::SeqCst)).signal();
}

fn yielder(me: Word) {
    let (me, other) = (me as usize, 1 - me as usize);
    while !GO.load(Ordering::SeqCst) {
        sel4::r#yield();
    }
    for _ in 0..YIELD_STEPS {
        STEPS[me].fetch_add(1, Ordering::SeqCst);
        let before = STEPS[other].load(Ordering::SeqCst);
        sel4::r#yield();
        // The other thread finishes first once it has done all its steps.
        if STEPS[other].load(Ordering::SeqCst) == before && before < YIELD_STEPS {
            MISSES[me].fetch_add(1, Ordering::SeqCst);
        }
    }
    finish();
}

/// Starts two `worker` threads at the body's priority and waits until both finish.
fn run_pair(env: &mut Env, worker: fn(Word)) -> TestResult {
    reset_workers();
    let done = env.notification()?;
    DONE.store(done.bits(), Ordering::SeqCst);
    env.spawn(worker, 0, BODY_PRIORITY)?;
    env.spawn(worker, 1, BODY_PRIORITY)?;
    GO.store(true, Ordering::SeqCst);
    // Two signals may merge into one wake-up, hence the count.
    while FINISHED.load(Ordering::SeqCst) < 2 {
        done.wait();
    }
    Ok(())
}

test_case!(SCHED0003, "two threads of equal priority that yield run alternately", sched0003);
fn sched0003(env: &mut Env) -> TestResult {
    run_pair(env, yielder)?;
    for i in 0..2 {
        check_eq!(STEPS[i].load(Ordering::SeqCst), YIELD_STEPS);
        check_eq!(MISSES[i].load(Ordering::SeqCst), 0);
    }
    Ok(())
}

/// Marks itself started, then spins (never yielding) until it sees the other
/// thread started too; only timer preemption can let the other one run.
fn spinner(me: Word) {
    let (me, other) = (me as usize, 1 - me as usize);
    STEPS[me].store(1, Ordering::SeqCst);
    let mut spins = 0;
    while STEPS[other].load(Ordering::SeqCst) == 0 && spins < SPIN_LIMIT {
        spins += 1;
        core::hint::spin_loop();
    }
    if spins == SPIN_LIMIT {
        MISSES[me].store(1, Ordering::SeqCst);
    }
    finish();
}

test_case!(SCHED0004, "the timer preempts a busy thread so an equal-priority thread runs without any yield (sel4test SCHED0021)", sched0004);
fn sched0004(env: &mut Env) -> TestResult {
    run_pair(env, spinner)?;
    for i in 0..2 {
        check_eq!(STEPS[i].load(Ordering::SeqCst), 1);
        check_eq!(MISSES[i].load(Ordering::SeqCst), 0);
    }
    Ok(())
}

static COUNT: AtomicU64 = AtomicU64::new(0);

fn counter(_: Word) {
    loop {
        COUNT.fetch_add(1, Ordering::SeqCst);
    }
}

test_case!(SCHED0005, "a suspended thread makes no progress and a resumed one continues (sel4test SCHED0003)", sched0005);
fn sched0005(env: &mut Env) -> TestResult {
    COUNT.store(0, Ordering::SeqCst);
    // Equal priority: it runs whenever the body yields.
    let thread = env.spawn(counter, 0, BODY_PRIORITY)?;
    sel4::r#yield();
    check!(COUNT.load(Ordering::SeqCst) > 0, "the counter never ran");
    thread.suspend()?;
    let frozen = COUNT.load(Ordering::SeqCst);
    for _ in 0..5 {
        sel4::r#yield();
    }
    check_eq!(COUNT.load(Ordering::SeqCst), frozen);
    thread.resume()?;
    sel4::r#yield();
    check!(COUNT.load(Ordering::SeqCst) > frozen, "the resumed counter did not continue");
    Ok(())
}

test_case!(SCHED0006, "priority and MCP above the caller's MCP (254) are RangeError; up to it they succeed", sched0006);
fn sched0006(env: &mut Env) -> TestResult {
    // The MCP the driver gives test bodies.
    let max: u8 = 254;
    let thread = env.thread(mark_ran, 0, BODY_PRIORITY - 1, None, false)?;
    check_err!(thread.tcb.tcb_set_priority(max + 1), Error::RangeError);
    check_err!(thread.tcb.tcb_set_mc_priority(max + 1), Error::RangeError);
    thread.tcb.tcb_set_mc_priority(max).or_fail("set MCP to the caller's MCP")?;
    thread.tcb.tcb_set_priority(max).or_fail("set priority to the caller's MCP")?;
    Ok(())
}

/// The limited thread's own TCB, and the results of its three attempts
/// (0 = success, else the seL4 error number).
static LIMITED_TCB: AtomicU64 = AtomicU64::new(0);
static LIMITED_RESULTS: [AtomicU64; 3] = [AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX)];
const LIMITED_MCP: u8 = 120;

fn code(result: sel4::Result<()>) -> u64 {
    result.err().map_or(0, |e| e as u64)
}

fn limited(_: Word) {
    let tcb = Cap::<Tcb>::from_bits(LIMITED_TCB.load(Ordering::SeqCst));
    LIMITED_RESULTS[0].store(code(tcb.tcb_set_priority(LIMITED_MCP + 1)), Ordering::SeqCst);
    LIMITED_RESULTS[1].store(code(tcb.tcb_set_mc_priority(LIMITED_MCP + 1)), Ordering::SeqCst);
    LIMITED_RESULTS[2].store(code(tcb.tcb_set_priority(LIMITED_MCP)), Ordering::SeqCst);
}

test_case!(SCHED0007, "a thread whose MCP was lowered cannot raise its priority or MCP past it, but can reach it", sched0007);
fn sched0007(env: &mut Env) -> TestResult {
    let thread = env.thread(limited, 0, BODY_PRIORITY + 10, None, false)?;
    thread.tcb.tcb_set_mc_priority(LIMITED_MCP).or_fail("lower the thread's MCP")?;
    LIMITED_TCB.store(thread.tcb.bits(), Ordering::SeqCst);
    for result in &LIMITED_RESULTS {
        result.store(u64::MAX, Ordering::SeqCst);
    }
    // Higher priority than the body: it has finished when resume returns.
    thread.resume()?;
    check_eq!(LIMITED_RESULTS[0].load(Ordering::SeqCst), Error::RangeError as u64);
    check_eq!(LIMITED_RESULTS[1].load(Ordering::SeqCst), Error::RangeError as u64);
    check_eq!(LIMITED_RESULTS[2].load(Ordering::SeqCst), 0);
    Ok(())
}

/// What `labeller` received (its label), or 0.
static LABEL: AtomicU64 = AtomicU64::new(0);
/// Set when `fault_catcher` took a fault of the labeller's.
static LABELLER_FAULTED: AtomicBool = AtomicBool::new(false);
static LABEL_EP: AtomicU64 = AtomicU64::new(0);
static LABEL_FAULT_EP: AtomicU64 = AtomicU64::new(0);
static LABEL_DONE: AtomicU64 = AtomicU64::new(0);

/// Receives once and notes the label.
fn labeller(_: Word) {
    let (info, _) = Cap::<sel4::cap_type::Endpoint>::from_bits(LABEL_EP.load(Ordering::SeqCst)).recv();
    LABEL.store(info.label(), Ordering::SeqCst);
    Cap::<Notification>::from_bits(LABEL_DONE.load(Ordering::SeqCst)).signal();
}

/// Takes one fault of the labeller's and notes it.
fn labeller_fault_catcher(_: Word) {
    Cap::<sel4::cap_type::Endpoint>::from_bits(LABEL_FAULT_EP.load(Ordering::SeqCst)).recv();
    LABELLER_FAULTED.store(true, Ordering::SeqCst);
    Cap::<Notification>::from_bits(LABEL_DONE.load(Ordering::SeqCst)).signal();
}

test_case!(SCHED0008, "a thread suspended after its receive completed, before it ran, resumes past the receive (upstream 7c1a70533)", sched0008);
fn sched0008(env: &mut Env) -> TestResult {
    LABEL.store(0, Ordering::SeqCst);
    LABELLER_FAULTED.store(false, Ordering::SeqCst);
    let ep = env.endpoint()?;
    let fault_ep = env.endpoint()?;
    let done = env.notification()?;
    LABEL_EP.store(ep.bits(), Ordering::SeqCst);
    LABEL_FAULT_EP.store(fault_ep.bits(), Ordering::SeqCst);
    LABEL_DONE.store(done.bits(), Ordering::SeqCst);
    env.spawn(labeller_fault_catcher, 0, BODY_PRIORITY - 5)?;
    // Above us it runs at once and blocks in its receive; then it goes below us.
    let thread = env.thread(labeller, 0, BODY_PRIORITY + 1, Some(fault_ep), true)?;
    thread.tcb.tcb_set_priority(BODY_PRIORITY - 10).or_fail("lower the thread")?;
    // The message completes its receive: it is Running, but cannot run yet.
    ep.send(sel4::MessageInfo::new(7, 0, 0, 0));
    thread.suspend()?;
    thread.resume()?;
    done.wait();
    let outcome = (LABEL.load(Ordering::SeqCst), LABELLER_FAULTED.load(Ordering::SeqCst));
    #[cfg(patch_suspend_restart_pc)]
    check_eq!(outcome, (7, false));
    // 5.0.0 runs the receive again on resume, with the registers the first one
    // returned: x0 now holds the badge (0), so it receives on slot 0 and faults.
    #[cfg(not(patch_suspend_restart_pc))]
    check_eq!(outcome, (0, true));
    Ok(())
}

/// Badge the stall alarm signals with.
pub(crate) const STALLED: Word = 1 << 27;

fn stall_alarm(arg: Word) {
    Cap::<Notification>::from_bits(arg).signal();
}

/// Starts a thread at the lowest priority that signals `ntfn` with badge
/// `STALLED`: it runs only once every other thread is blocked, so a test
/// waiting on `ntfn` for helpers learns they are stuck instead of hanging.
pub(crate) fn stall_alarm_on(env: &mut Env, ntfn: Cap<Notification>) -> TestResult {
    let badged = env.mint(ntfn, sel4::CapRights::all(), STALLED)?;
    env.spawn(stall_alarm, badged.bits(), 0).map(|_| ())
}
