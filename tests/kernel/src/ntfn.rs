//! Notifications: signal, wait, poll, badge OR-ing, binding to TCBs.

use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, Notification};
use sel4::{Cap, CapRights, Error, MessageInfo, Word};
use sel4_test::{check, check_eq, check_err, test_case, Env, ResultExt, TestResult};

/// What helper threads saw, in order: badge and label of up to two receives.
static SEEN: [AtomicU64; 4] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

fn reset_seen() {
    for s in &SEEN {
        s.store(u64::MAX, Ordering::SeqCst);
    }
}

fn seen(i: usize) -> Word {
    SEEN[i].load(Ordering::SeqCst)
}

test_case!(NTFN0001, "a signal before the wait is kept: the wait returns its badge at once", ntfn0001);
fn ntfn0001(env: &mut Env) -> TestResult {
    let ntfn = env.notification()?;
    let badged = env.mint(ntfn, CapRights::all(), 0x10)?;
    badged.signal();
    check_eq!(ntfn.wait(), 0x10);
    Ok(())
}

test_case!(NTFN0002, "poll returns 0 with nothing pending, the badge when signalled, and clears it", ntfn0002);
fn ntfn0002(env: &mut Env) -> TestResult {
    let ntfn = env.notification()?;
    let badged = env.mint(ntfn, CapRights::all(), 0x6)?;
    check_eq!(ntfn.poll(), 0);
    badged.signal();
    check_eq!(ntfn.poll(), 0x6);
    check_eq!(ntfn.poll(), 0);
    Ok(())
}

test_case!(NTFN0003, "signals through differently badged caps before a wait arrive OR-ed together", ntfn0003);
fn ntfn0003(env: &mut Env) -> TestResult {
    let ntfn = env.notification()?;
    for badge in [0x1, 0x2, 0x8, 0x2] {
        env.mint(ntfn, CapRights::all(), badge)?.signal();
    }
    check_eq!(ntfn.wait(), 0xb);
    Ok(())
}

/// Waits on the notification in `arg` and records the badge.
fn waiter(arg: Word) {
    SEEN[0].store(Cap::<Notification>::from_bits(arg).wait(), Ordering::SeqCst);
}

fn signaller(arg: Word) {
    Cap::<Notification>::from_bits(arg).signal();
}

test_case!(NTFN0004, "a signal wakes a blocked waiter: a higher-priority one at once, and the test from a lower-priority signaller", ntfn0004);
fn ntfn0004(env: &mut Env) -> TestResult {
    reset_seen();
    let ntfn = env.notification()?;
    env.spawn(waiter, ntfn.bits(), 150)?;
    check_eq!(seen(0), u64::MAX);
    env.mint(ntfn, CapRights::all(), 0x4)?.signal();
    check_eq!(seen(0), 0x4);

    let badged = env.mint(ntfn, CapRights::all(), 0x8)?;
    env.spawn(signaller, badged.bits(), 50)?;
    check_eq!(ntfn.wait(), 0x8);
    Ok(())
}

/// Receives twice on the endpoint in `arg`, recording badge and label each
/// time (the label means nothing when a bound signal arrives).
fn bound_receiver(arg: Word) {
    let ep = Cap::<Endpoint>::from_bits(arg);
    for i in 0..2 {
        let (info, badge) = ep.recv();
        SEEN[2 * i].store(badge, Ordering::SeqCst);
        SEEN[2 * i + 1].store(info.label(), Ordering::SeqCst);
    }
}

/// A thread at priority 150, bound to a fresh notification, not yet started.
fn bound_thread(env: &mut Env, entry: fn(Word), arg: Word) -> Result<(sel4_test::Thread, Cap<Notification>), sel4_test::Failure> {
    let ntfn = env.notification()?;
    let thread = env.thread(entry, arg, 150, None, false)?;
    thread.tcb.tcb_bind_notification(ntfn.cptr()).or_fail("bind notification")?;
    Ok((thread, ntfn))
}

test_case!(NTFN0005, "a bound thread blocked in recv gets a signal's badge, then a normal message", ntfn0005);
fn ntfn0005(env: &mut Env) -> TestResult {
    reset_seen();
    let ep = env.endpoint()?;
    let (thread, ntfn) = bound_thread(env, bound_receiver, ep.bits())?;
    thread.resume()?;
    env.mint(ntfn, CapRights::all(), 0x20)?.signal();
    // Only the badge register is written for a signal: the tag is stale.
    check_eq!(seen(0), 0x20);
    env.mint(ep, CapRights::all(), 0x3)?.send(MessageInfo::new(5, 0, 0, 0));
    check_eq!((seen(2), seen(3)), (0x3, 5));
    Ok(())
}

test_case!(NTFN0006, "a bound thread waiting on its own notification receives its signals", ntfn0006);
fn ntfn0006(env: &mut Env) -> TestResult {
    reset_seen();
    let ntfn = env.notification()?;
    let thread = env.thread(waiter, ntfn.bits(), 150, None, false)?;
    thread.tcb.tcb_bind_notification(ntfn.cptr()).or_fail("bind notification")?;
    thread.resume()?;
    check_eq!(seen(0), u64::MAX);
    env.mint(ntfn, CapRights::all(), 0x40)?.signal();
    check_eq!(seen(0), 0x40);
    Ok(())
}

test_case!(NTFN0007, "a bound thread's recv takes a pending signal before a sender already queued on the endpoint", ntfn0007);
fn ntfn0007(env: &mut Env) -> TestResult {
    reset_seen();
    let ep = env.endpoint()?;
    let (thread, ntfn) = bound_thread(env, bound_receiver, ep.bits())?;
    let sender = env.mint(ep, CapRights::all(), 0x5)?;
    env.spawn(send_label_7, sender.bits(), 120)?;
    env.mint(ntfn, CapRights::all(), 0x80)?.signal();
    thread.resume()?;
    check_eq!(seen(0), 0x80);
    check_eq!((seen(2), seen(3)), (0x5, 7));
    Ok(())
}

fn send_label_7(arg: Word) {
    Cap::<Endpoint>::from_bits(arg).send(MessageInfo::new(7, 0, 0, 0));
}

test_case!(NTFN0008, "binding fails with IllegalOperation when the TCB or the notification is already bound; works after unbind", ntfn0008);
fn ntfn0008(env: &mut Env) -> TestResult {
    let (a, ntfn) = bound_thread(env, waiter, 0)?;
    let other = env.notification()?;
    check_err!(a.tcb.tcb_bind_notification(other.cptr()), Error::IllegalOperation);
    let b = env.thread(waiter, 0, 150, None, false)?;
    check_err!(b.tcb.tcb_bind_notification(ntfn.cptr()), Error::IllegalOperation);
    a.tcb.tcb_unbind_notification().or_fail("unbind")?;
    b.tcb.tcb_bind_notification(ntfn.cptr()).or_fail("bind after unbind")?;
    Ok(())
}

/// Helpers of the binding-order tests: finishing, each signals `DONE` with
/// badge 1 after counting itself in `FINISHED`.
static DONE: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicU64 = AtomicU64::new(0);

fn finished() {
    FINISHED.fetch_add(1, Ordering::SeqCst);
    Cap::<Notification>::from_bits(DONE.load(Ordering::SeqCst)).signal();
}

/// Steps the two threads of a binding-order test take: which came first,
/// the waiter's wait or the sender's signal.
static STEP: AtomicU64 = AtomicU64::new(0);
static WAITED_AT: AtomicU64 = AtomicU64::new(0);
static SIGNALLED_AT: AtomicU64 = AtomicU64::new(0);
/// The badge the sender's cap carries.
const ORDER_BADGE: Word = 0x5;

/// Waits on its own bound notification (cptr `arg`), then finishes.
fn bound_waiter(arg: Word) {
    WAITED_AT.store(STEP.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
    SEEN[0].store(Cap::<Notification>::from_bits(arg).wait(), Ordering::SeqCst);
    finished();
}

/// Signals the notification at `arg` once (a Send on it, as sel4test's sender does), then finishes.
fn one_signal(arg: Word) {
    SIGNALLED_AT.store(STEP.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
    Cap::<Notification>::from_bits(arg).signal();
    finished();
}

/// A thread bound to a notification waits on it and another thread signals
/// it once; both below the test, started waiter first. Fails unless both
/// finish, the waiter gets the sender's badge, and `waiter_first` says which
/// of the wait and the signal came first.
fn bound_wait_order(env: &mut Env, waiter_priority: u8, sender_priority: u8, waiter_first: bool) -> TestResult {
    reset_seen();
    FINISHED.store(0, Ordering::SeqCst);
    STEP.store(0, Ordering::SeqCst);
    let done = env.notification()?;
    let badged_done = env.mint(done, CapRights::all(), 1)?;
    DONE.store(badged_done.bits(), Ordering::SeqCst);
    let ntfn = env.notification()?;
    let waiter = env.thread(bound_waiter, ntfn.bits(), waiter_priority, None, false)?;
    waiter.tcb.tcb_bind_notification(ntfn.cptr()).or_fail("bind notification")?;
    let badged = env.mint(ntfn, CapRights::all(), ORDER_BADGE)?;
    let sender = env.thread(one_signal, badged.bits(), sender_priority, None, false)?;
    crate::sched::stall_alarm_on(env, done)?;
    waiter.resume()?;
    sender.resume()?;
    while FINISHED.load(Ordering::SeqCst) < 2 {
        let badges = done.wait();
        check!(badges & crate::sched::STALLED == 0 || FINISHED.load(Ordering::SeqCst) == 2,
            "stuck: {} of the two threads finished, the waiter saw {:#x}", FINISHED.load(Ordering::SeqCst), seen(0));
    }
    // (sel4test's sender signals with an unbadged cap; a badge tells its signal apart.)
    check_eq!(seen(0), ORDER_BADGE);
    check_eq!(WAITED_AT.load(Ordering::SeqCst) < SIGNALLED_AT.load(Ordering::SeqCst), waiter_first);
    Ok(())
}

test_case!(NTFN0009, "a bound thread waiting on its notification, above the thread that then signals it, wakes; both finish (sel4test BIND0003)", ntfn0009);
fn ntfn0009(env: &mut Env) -> TestResult {
    bound_wait_order(env, 90, 89, true)
}

test_case!(NTFN0010, "a thread signals a notification first and the thread bound to it, below, then waits and gets it; both finish (sel4test BIND0004)", ntfn0010);
fn ntfn0010(env: &mut Env) -> TestResult {
    bound_wait_order(env, 89, 90, false)
}

/// Sends one word, 0x5e4d_0001, through the endpoint cap at `arg`.
fn one_word_sender(arg: Word) {
    sel4::with_ipc_buffer(|b| b.msg[0] = 0x5e4d_0001);
    Cap::<Endpoint>::from_bits(arg).send(MessageInfo::new(0, 0, 0, 1));
}

test_case!(NTFN0011, "the test thread bound to a notification: nb_recv and poll return 0 with nothing pending, poll and then nb_recv on an endpoint return a signal's badge once, nb_recv returns a queued sender's message once (sel4test NBWAIT0001)", ntfn0011);
fn ntfn0011(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let ntfn = env.notification()?;
    env.tcb().tcb_bind_notification(ntfn.cptr()).or_fail("bind the test thread")?;
    let badged_ep = env.mint(ep, CapRights::all(), 1)?;
    let badged_ntfn = env.mint(ntfn, CapRights::all(), 2)?;
    check_eq!(ep.nb_recv().1, 0);
    check_eq!(ntfn.poll(), 0);
    badged_ntfn.signal();
    check_eq!(ntfn.poll(), 2);
    check_eq!(ntfn.poll(), 0);
    badged_ntfn.signal();
    check_eq!(ep.nb_recv().1, 2);
    check_eq!(ep.nb_recv().1, 0);
    // The sender starts level with the test, which then drops below it: it
    // runs and blocks in its send.
    const BODY: u8 = 100;
    env.spawn(one_word_sender, badged_ep.bits(), BODY)?;
    env.tcb().tcb_set_priority(BODY - 1).or_fail("lower the test thread")?;
    let (info, badge) = ep.nb_recv();
    check_eq!(badge, 1);
    check_eq!(info.length(), 1);
    check_eq!(sel4::with_ipc_buffer(|b| b.msg[0]), 0x5e4d_0001);
    check_eq!(ep.nb_recv().1, 0);
    env.tcb().tcb_unbind_notification().or_fail("unbind the test thread")?;
    Ok(())
}

const RUNS: usize = 10;
const ASYNC: Word = 1;
const SYNC: Word = 2;

/// Sends (a signal, on a notification cap) RUNS times through the cap at `arg`.
fn repeated_sender(arg: Word) {
    for _ in 0..RUNS {
        Cap::<Endpoint>::from_bits(arg).send(MessageInfo::new(0, 0, 0, 0));
    }
}

test_case!(NTFN0012, "the test thread, bound, receiving on an endpoint gets all 10 signals and all 10 messages of two threads below it, told apart by badge (sel4test BIND0001)", ntfn0012);
fn ntfn0012(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let ntfn = env.notification()?;
    env.tcb().tcb_bind_notification(ntfn.cptr()).or_fail("bind the test thread")?;
    // Should a sender get stuck, the stall alarm's badge fails the test.
    crate::sched::stall_alarm_on(env, ntfn)?;
    let signals = env.mint(ntfn, CapRights::all(), ASYNC)?;
    let messages = env.mint(ep, CapRights::all(), SYNC)?;
    env.spawn(repeated_sender, signals.bits(), 90)?;
    env.spawn(repeated_sender, messages.bits(), 90)?;
    let (mut from_signals, mut from_messages) = (0, 0);
    for _ in 0..2 * RUNS {
        let badge = ep.recv().1;
        check!(badge & crate::sched::STALLED == 0, "stuck after {} signals and {} messages", from_signals, from_messages);
        match badge {
            ASYNC => from_signals += 1,
            SYNC => from_messages += 1,
            _ => {}
        }
    }
    check_eq!((from_signals, from_messages), (RUNS, RUNS));
    env.tcb().tcb_unbind_notification().or_fail("unbind the test thread")?;
    Ok(())
}

test_case!(NTFN0013, "the test thread, bound, waiting on its own notification gets all 10 signals of a thread below it (sel4test BIND0002)", ntfn0013);
fn ntfn0013(env: &mut Env) -> TestResult {
    let ntfn = env.notification()?;
    env.tcb().tcb_bind_notification(ntfn.cptr()).or_fail("bind the test thread")?;
    // Should the sender get stuck, the stall alarm's badge fails the test.
    crate::sched::stall_alarm_on(env, ntfn)?;
    let signals = env.mint(ntfn, CapRights::all(), ASYNC)?;
    env.spawn(repeated_sender, signals.bits(), 90)?;
    for received in 0..RUNS {
        let badge = ntfn.wait();
        check!(badge & crate::sched::STALLED == 0, "stuck after {} signals", received);
        check_eq!(badge, ASYNC);
    }
    env.tcb().tcb_unbind_notification().or_fail("unbind the test thread")?;
    Ok(())
}
