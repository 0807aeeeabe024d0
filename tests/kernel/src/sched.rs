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

test_case!(SCHED0002, "a lower-priority thread waits; once raised above the caller it runs before SetPriority returns (patch 0010; on 5.0.0 only at the caller's next yield)", sched0002);
fn sched0002(env: &mut Env) -> TestResult {
    // On 5.0.0 a timer tick right after the raise would run the thread too;
    // that cannot happen twice in a row.
    for attempt in 0..2 {
        RAN.store(false, Ordering::SeqCst);
        let thread = env.spawn(mark_ran, 0, BODY_PRIORITY - 1)?;
        sel4::r#yield();
        check!(!RAN.load(Ordering::SeqCst), "a lower-priority thread ran while the creator was runnable");
        thread.tcb.tcb_set_priority(BODY_PRIORITY + 1).or_fail("raise the thread's priority")?;
        let ran_at_once = RAN.load(Ordering::SeqCst);
        if cfg!(patch_set_priority_reschedule) {
            check!(ran_at_once, "the raised thread had not run when SetPriority returned");
            return Ok(());
        }
        // 5.0.0's setPriority only requeues the thread (no switch).
        sel4::r#yield();
        check!(RAN.load(Ordering::SeqCst), "the raised thread had not run");
        if !ran_at_once {
            return Ok(());
        }
        check!(attempt == 0, "5.0.0 ran the raised thread at once, twice");
    }
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

test_case!(SCHED0004, "the timer preempts a busy thread so an equal-priority thread runs without any yield", sched0004);
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

test_case!(SCHED0005, "a suspended thread makes no progress and a resumed one continues", sched0005);
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

test_case!(SCHED0009, "a thread resuming itself (already running) succeeds and carries on (sel4test SCHED0002)", sched0009);
fn sched0009(env: &mut Env) -> TestResult {
    env.tcb().tcb_resume().or_fail("resume the test thread")?;
    // Still the only thread at its priority, and it runs on.
    sel4::r#yield();
    Ok(())
}

/// The priority the last `by_priority` thread ran at, and how many ran out of order.
static LAST_PRIORITY: AtomicU64 = AtomicU64::new(0);
static OUT_OF_ORDER: AtomicU64 = AtomicU64::new(0);
static ALL_RAN: AtomicU64 = AtomicU64::new(0);

/// Checks it runs right after the thread one priority above; the thread at
/// priority 0 signals the notification in `ALL_RAN`.
fn by_priority(priority: Word) {
    if LAST_PRIORITY.load(Ordering::SeqCst) != priority + 1 {
        OUT_OF_ORDER.fetch_add(1, Ordering::SeqCst);
    }
    LAST_PRIORITY.store(priority, Ordering::SeqCst);
    if priority == 0 {
        Cap::<Notification>::from_bits(ALL_RAN.load(Ordering::SeqCst)).signal();
    }
}

test_case!(SCHED0010, "threads started at every priority from 0 to just below the test run one by one from the highest down once the test blocks (sel4test SCHED0004)", sched0010);
fn sched0010(env: &mut Env) -> TestResult {
    LAST_PRIORITY.store(Word::from(BODY_PRIORITY), Ordering::SeqCst);
    OUT_OF_ORDER.store(0, Ordering::SeqCst);
    let all_ran = env.notification()?;
    ALL_RAN.store(all_ran.bits(), Ordering::SeqCst);
    for priority in 0..BODY_PRIORITY {
        env.spawn(by_priority, Word::from(priority), priority)?;
    }
    check_eq!(LAST_PRIORITY.load(Ordering::SeqCst), Word::from(BODY_PRIORITY));
    all_ran.wait();
    check_eq!(LAST_PRIORITY.load(Ordering::SeqCst), 0);
    check_eq!(OUT_OF_ORDER.load(Ordering::SeqCst), 0);
    Ok(())
}

/// Steps of a multi-thread test: each thread checks the step it expects and
/// moves it on; the first unexpected step seen is kept.
static STEP: AtomicU64 = AtomicU64::new(0);
static BAD_STEP: AtomicU64 = AtomicU64::new(NO_BAD_STEP);
const NO_BAD_STEP: Word = u64::MAX;
/// Results of invocations helpers made, in order (error numbers, 0 = success).
static CODES: [AtomicU64; 8] = [const { AtomicU64::new(u64::MAX) }; 8];

fn step(expected: Word) {
    let at = STEP.load(Ordering::SeqCst);
    if at != expected {
        let _ = BAD_STEP.compare_exchange(NO_BAD_STEP, expected << 32 | at, Ordering::SeqCst, Ordering::SeqCst);
    }
    STEP.store(expected + 1, Ordering::SeqCst);
}

fn reset_steps() {
    STEP.store(0, Ordering::SeqCst);
    BAD_STEP.store(NO_BAD_STEP, Ordering::SeqCst);
    for c in &CODES {
        c.store(u64::MAX, Ordering::SeqCst);
    }
}

/// Fails if a step came out of order (saying which step expected which).
fn check_steps(last: Word) -> TestResult {
    let bad = BAD_STEP.load(Ordering::SeqCst);
    check!(bad == NO_BAD_STEP, "step {} was reached at step {}", bad >> 32, bad & 0xffff_ffff);
    check_eq!(STEP.load(Ordering::SeqCst), last);
    Ok(())
}

/// The two TCBs of the set-priority test.
static PRIO_TCBS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// Its highest priority (sel4test's is 2 below the maximum; all of its
/// priorities are relative to this one).
const HIGHEST: u8 = BODY_PRIORITY - 1;

fn prio_tcb(i: usize) -> Cap<Tcb> {
    Cap::from_bits(PRIO_TCBS[i].load(Ordering::SeqCst))
}

/// Thread 1 (priority and MCP HIGHEST).
fn set_priority_first(_: Word) {
    let me = prio_tcb(0);
    step(0);
    // Dropping below thread 2 lets it run now.
    CODES[0].store(code(me.tcb_set_priority(HIGHEST - 4)), Ordering::SeqCst);
    step(2);
    CODES[1].store(code(me.tcb_set_priority(HIGHEST)), Ordering::SeqCst);
    CODES[2].store(code(me.tcb_set_mc_priority(HIGHEST - 4)), Ordering::SeqCst);
    CODES[3].store(code(me.tcb_set_priority(HIGHEST - 3)), Ordering::SeqCst);
    CODES[4].store(code(me.tcb_set_mc_priority(HIGHEST)), Ordering::SeqCst);
    finish();
}

/// Thread 2 (priority HIGHEST - 1, MCP HIGHEST - 2).
fn set_priority_second(_: Word) {
    let (first, me) = (prio_tcb(0), prio_tcb(1));
    step(1);
    CODES[5].store(code(first.tcb_set_priority(HIGHEST)), Ordering::SeqCst);
    CODES[6].store(code(first.tcb_set_priority(HIGHEST - 2)), Ordering::SeqCst);
    // Dropping below thread 1 lets it run now.
    CODES[7].store(code(me.tcb_set_priority(HIGHEST - 3)), Ordering::SeqCst);
    step(3);
    finish();
}

test_case!(SCHED0011, "threads lowering and raising their own and each other's priority within their MCPs run in the order that implies; past the MCP is RangeError (sel4test SCHED0005)", sched0011);
fn sched0011(env: &mut Env) -> TestResult {
    reset_steps();
    reset_workers();
    let done = env.notification()?;
    DONE.store(done.bits(), Ordering::SeqCst);
    let first = env.thread(set_priority_first, 0, HIGHEST, None, false)?;
    first.tcb.tcb_set_mc_priority(HIGHEST).or_fail("thread 1's MCP")?;
    let second = env.thread(set_priority_second, 0, HIGHEST - 1, None, false)?;
    second.tcb.tcb_set_mc_priority(HIGHEST - 2).or_fail("thread 2's MCP")?;
    PRIO_TCBS[0].store(first.tcb.bits(), Ordering::SeqCst);
    PRIO_TCBS[1].store(second.tcb.bits(), Ordering::SeqCst);
    first.resume()?;
    second.resume()?;
    stall_alarm_on(env, done)?;
    while FINISHED.load(Ordering::SeqCst) < 2 {
        let badges = done.wait();
        check!(badges & STALLED == 0 || FINISHED.load(Ordering::SeqCst) == 2, "the threads got stuck at step {}", STEP.load(Ordering::SeqCst));
    }
    check_steps(4)?;
    let codes: [Word; 8] = core::array::from_fn(|i| CODES[i].load(Ordering::SeqCst));
    let range = Error::RangeError as Word;
    check_eq!(codes, [0, 0, 0, range, range, range, 0, 0]);
    Ok(())
}

// sel4test SCHED0006: four threads below the test, at priorities BASE + 0..3,
// pass messages; a bouncer at the lowest priority lets a thread wait until
// every thread above the bouncer has blocked.

const BASE: u8 = 10;
static IPC_EPS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static SPINS: AtomicU64 = AtomicU64::new(0);
static BOUNCES: AtomicU64 = AtomicU64::new(0);
/// The first check a thread found false (its number), or 0.
static FAILED_CHECK: AtomicU64 = AtomicU64::new(0);

fn expect(ok: bool, id: Word) {
    if !ok {
        let _ = FAILED_CHECK.compare_exchange(0, id, Ordering::SeqCst, Ordering::SeqCst);
    }
}

fn ipc_ep(i: usize) -> Cap<sel4::cap_type::Endpoint> {
    Cap::from_bits(IPC_EPS[i].load(Ordering::SeqCst))
}

/// A call to the bouncer: returns once it runs, i.e. once every thread above it has blocked.
fn bounce() {
    ipc_ep(0).call(sel4::MessageInfo::new(0, 0, 0, 0));
}

fn counting_bouncer(_: Word) {
    loop {
        let (info, _) = ipc_ep(0).recv();
        BOUNCES.fetch_add(1, Ordering::SeqCst);
        sel4::reply(info);
    }
}

/// True if the message just received has `len` words 0, 1, 2, ...
fn counted_words(info: sel4::MessageInfo, len: usize) -> bool {
    info.length() == len && sel4::with_ipc_buffer(|b| b.msg[..len].iter().enumerate().all(|(i, &w)| w == i as Word))
}

fn send_counted_words(len: usize) {
    sel4::with_ipc_buffer(|b| b.msg[..len].iter_mut().enumerate().for_each(|(i, w)| *w = i as Word));
    ipc_ep(1).send(sel4::MessageInfo::new(0, 0, 0, len as Word));
}

/// BASE + 1: receives a send already pending, then one not yet sent.
fn pending_receiver(_: Word) {
    step(1);
    let (info, _) = ipc_ep(1).recv();
    // The sender, above, ran first; this runs once it has blocked.
    step(3);
    expect(counted_words(info, 20), 1);
    bounce();
    step(5);
    let (info, _) = ipc_ep(1).recv();
    step(8);
    expect(counted_words(info, 19), 2);
    finish();
}

/// BASE + 2: spins (nothing else may run meanwhile), then bounces, forever.
fn spinner_bouncing(_: Word) {
    loop {
        let at = STEP.load(Ordering::SeqCst);
        for _ in 0..100_000 {
            core::hint::spin_loop();
        }
        expect(STEP.load(Ordering::SeqCst) == at, 3);
        SPINS.fetch_add(1, Ordering::SeqCst);
        bounce();
    }
}

/// BASE + 3: sends to a receiver not yet waiting, then to one waiting.
fn priority_sender(_: Word) {
    let counts = || (SPINS.load(Ordering::SeqCst), BOUNCES.load(Ordering::SeqCst));
    step(0);
    let (spins, bounces) = counts();
    send_counted_words(20);
    step(2);
    expect(counts() == (spins + 1, bounces), 4);
    bounce();
    expect(counts() == (spins + 2, bounces + 2), 5);
    step(4);
    let (spins, bounces) = counts();
    bounce();
    step(6);
    send_counted_words(19);
    step(7);
    bounce();
    step(9);
    expect(counts() == (spins + 2, bounces + 5), 6);
    finish();
}

test_case!(SCHED0012, "four threads below the test passing sends and bounces run strictly by priority: each step, spin and bounce count as expected (sel4test SCHED0006)", sched0012);
fn sched0012(env: &mut Env) -> TestResult {
    reset_steps();
    reset_workers();
    FAILED_CHECK.store(0, Ordering::SeqCst);
    SPINS.store(0, Ordering::SeqCst);
    BOUNCES.store(0, Ordering::SeqCst);
    for ep in &IPC_EPS {
        ep.store(env.endpoint()?.bits(), Ordering::SeqCst);
    }
    let done = env.notification()?;
    DONE.store(done.bits(), Ordering::SeqCst);
    for (i, entry) in [counting_bouncer as fn(Word), pending_receiver, spinner_bouncing, priority_sender].into_iter().enumerate() {
        env.spawn(entry, 0, BASE + i as u8)?;
    }
    // The bouncer and the spinner never finish; the other two do.
    while FINISHED.load(Ordering::SeqCst) < 2 {
        done.wait();
    }
    check_eq!(FAILED_CHECK.load(Ordering::SeqCst), 0);
    check_steps(10)
}

/// Set by `yield_then_mark` once it got past its yield.
static MARKED: AtomicBool = AtomicBool::new(false);

fn yield_then_mark(_: Word) {
    // If it ran before the test raised it, the yield hands back to the test.
    sel4::r#yield();
    MARKED.store(true, Ordering::SeqCst);
}

test_case!(SCHED0013, "a thread level with the test, raised above it, runs before SetPriority returns (sel4test SCHED0020, with patch 0010; stock 5.0.0 does not preempt the caller, so there it runs at the test's next yield)", sched0013);
fn sched0013(env: &mut Env) -> TestResult {
    env.tcb().tcb_set_priority(BODY_PRIORITY - 1).or_fail("lower the test thread")?;
    if cfg!(patch_set_priority_reschedule) {
        MARKED.store(false, Ordering::SeqCst);
        let thread = env.spawn(yield_then_mark, 0, BODY_PRIORITY - 1)?;
        check!(!MARKED.load(Ordering::SeqCst), "the thread got past its yield before being raised");
        thread.tcb.tcb_set_priority(BODY_PRIORITY).or_fail("raise the thread")?;
        check!(MARKED.load(Ordering::SeqCst), "the raised thread had not run when SetPriority returned");
        return Ok(());
    }
    // A timer tick ending the test's time slice right after the raise would
    // run the thread too; that cannot happen twice in a row.
    for attempt in 0..2 {
        MARKED.store(false, Ordering::SeqCst);
        let thread = env.spawn(yield_then_mark, 0, BODY_PRIORITY - 1)?;
        check!(!MARKED.load(Ordering::SeqCst), "the thread got past its yield before being raised");
        thread.tcb.tcb_set_priority(BODY_PRIORITY).or_fail("raise the thread")?;
        let ran_at_once = MARKED.load(Ordering::SeqCst);
        sel4::r#yield();
        check!(MARKED.load(Ordering::SeqCst), "the raised thread did not run at the test's yield");
        if !ran_at_once {
            return Ok(());
        }
        check!(attempt == 0, "the raised thread ran before the test yielded, twice: setPriority preempted its caller");
    }
    Ok(())
}

// The exclusive monitor across a context switch (sel4test REGRESSIONS0002).
// 5.0.0's AArch64 exits to user (restore_user_context, the fastpath) have
// no clrex, nor do current seL4's: the exception itself clears the monitor,
// so a store-exclusive fails after any syscall, switch or not.

/// The word the exclusive pairs work on.
static EXCLUSIVE: AtomicU64 = AtomicU64::new(0);
/// The store-exclusive's status (0 = it stored, 1 = it failed).
static STXR_STATUS: AtomicU64 = AtomicU64::new(u64::MAX);
static SWITCH_NTFNS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

fn load_exclusive() -> Word {
    let value: Word;
    // SAFETY: reads the atomic word and marks it in the exclusive monitor.
    unsafe { core::arch::asm!("ldxr {v}, [{a}]", v = out(reg) value, a = in(reg) EXCLUSIVE.as_ptr(), options(nostack)) };
    value
}

/// Stores `value` to the word if the monitor still holds it; returns the status.
fn store_exclusive(value: Word) -> Word {
    let status: Word;
    // SAFETY: a store-exclusive to the atomic word.
    unsafe {
        core::arch::asm!("mov {s:w}, #2", "stxr {s:w}, {v}, [{a}]", s = out(reg) status, v = in(reg) value,
            a = in(reg) EXCLUSIVE.as_ptr(), options(nostack))
    };
    status
}

/// Load-exclusive, then `between`, then store-exclusive; notes the status.
fn exclusive_pair(between: fn()) {
    let value = load_exclusive();
    between();
    STXR_STATUS.store(store_exclusive(value + 1), Ordering::SeqCst);
}

fn nothing() {}

/// Wakes the test (above this thread) and continues once it blocks again.
fn switch_to_test() {
    Cap::<Notification>::from_bits(SWITCH_NTFNS[0].load(Ordering::SeqCst)).signal();
}

fn pair_with_switch(_: Word) {
    exclusive_pair(switch_to_test);
    Cap::<Notification>::from_bits(SWITCH_NTFNS[1].load(Ordering::SeqCst)).signal();
}

fn pair_with_syscall(_: Word) {
    exclusive_pair(sel4::r#yield);
}

test_case!(SCHED0014, "a store-exclusive fails after a context switch to another thread since its load-exclusive (sel4test REGRESSIONS0002), and after a syscall that switches to no other thread; with nothing between it succeeds", sched0014);
fn sched0014(env: &mut Env) -> TestResult {
    // The probe works: with nothing in between, the store-exclusive succeeds
    // (a timer interrupt between the two would clear the monitor, but not
    // twice in a row).
    let probe_stores = (0..2).any(|_| {
        STXR_STATUS.store(u64::MAX, Ordering::SeqCst);
        exclusive_pair(nothing);
        STXR_STATUS.load(Ordering::SeqCst) == 0
    });
    check!(probe_stores, "a store-exclusive right after its load-exclusive failed twice");
    // A syscall that switches to no other thread.
    STXR_STATUS.store(u64::MAX, Ordering::SeqCst);
    env.spawn(pair_with_syscall, 0, BODY_PRIORITY + 1)?;
    let after_syscall = STXR_STATUS.load(Ordering::SeqCst);
    // A switch to the test and back.
    STXR_STATUS.store(u64::MAX, Ordering::SeqCst);
    let (woken, done) = (env.notification()?, env.notification()?);
    SWITCH_NTFNS[0].store(woken.bits(), Ordering::SeqCst);
    SWITCH_NTFNS[1].store(done.bits(), Ordering::SeqCst);
    env.spawn(pair_with_switch, 0, BODY_PRIORITY - 1)?;
    woken.wait();
    check_eq!(STXR_STATUS.load(Ordering::SeqCst), u64::MAX);
    done.wait();
    let after_switch = STXR_STATUS.load(Ordering::SeqCst);
    check_eq!((after_syscall, after_switch), (1, 1));
    Ok(())
}
