//! What a ReplyRecv leads to: which thread runs next, whatever path the
//! kernel takes. Our kernel patch 0001 sends a reply to a lower-priority
//! caller down the fastpath when the scheduler would run that caller next;
//! these cases pin down the slowpath's outcome at every edge, and `make test`
//! runs them on the kernel with the patch and without it.
//!
//! Each case has a server S (priority 90, below the test body), a caller C,
//! and sometimes another thread T that S makes ready (by a signal) just before
//! it replies. Every thread notes when it runs; the order is the verdict.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sel4::cap_type::{Endpoint, Notification};
use sel4::{Cap, CapRights, MessageInfo, Word};
use sel4_test::{check_eq, test_case, Env, ResultExt, TestResult};

const SERVER: u8 = 90;
/// What S does besides replying.
const WAKE_OTHER: Word = 1;
const SIGNAL_OWN: Word = 2;
const TELL_BODY: Word = 4;

static ENDPOINT: AtomicU64 = AtomicU64::new(0);
/// T waits on it; S signals it before replying.
static WAKE: AtomicU64 = AtomicU64::new(0);
/// S's own bound notification, badged (SIGNAL_OWN cases).
static OWN: AtomicU64 = AtomicU64::new(0);
/// The body waits on it: each thread signals it when done, S when told to.
static DONE: AtomicU64 = AtomicU64::new(0);

static ORDER: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn note(who: u8) {
    let i = NEXT.fetch_add(1, Ordering::SeqCst);
    if let Some(slot) = ORDER.get(i) {
        slot.store(u64::from(who), Ordering::SeqCst);
    }
}

fn order() -> [u8; 8] {
    let mut out = [0; 8];
    for (o, slot) in out.iter_mut().zip(&ORDER).take(NEXT.load(Ordering::SeqCst)) {
        *o = slot.load(Ordering::SeqCst) as u8;
    }
    out
}

fn cap<T: sel4::CapType>(cell: &AtomicU64) -> Cap<T> {
    Cap::from_bits(cell.load(Ordering::SeqCst))
}

/// S: serves calls forever; on each, notes `S`, does what `what` says, and
/// replies. A notification on its bound notification is noted `N`.
fn server(what: Word) {
    let ep: Cap<Endpoint> = cap(&ENDPOINT);
    let (mut info, mut badge) = ep.recv();
    loop {
        if badge == 0x7 {
            note(b'N');
        } else {
            note(b'S');
            if what & WAKE_OTHER != 0 {
                cap::<Notification>(&WAKE).signal();
            }
            if what & SIGNAL_OWN != 0 {
                cap::<Notification>(&OWN).signal();
            }
            if what & TELL_BODY != 0 {
                cap::<Notification>(&DONE).signal();
            }
        }
        (info, badge) = ep.reply_recv(MessageInfo::new(info.label(), 0, 0, 0));
    }
}

/// C (and D, a second caller): one call, then notes itself.
fn caller(who: Word) {
    cap::<Endpoint>(&ENDPOINT).call(MessageInfo::new(1, 0, 0, 0));
    note(who as u8);
    cap::<Notification>(&DONE).signal();
}

/// T: waits until S wakes it, then notes itself.
fn other(_: Word) {
    cap::<Notification>(&WAKE).wait();
    note(b'T');
    cap::<Notification>(&DONE).signal();
}

/// Fresh objects for one case.
fn setup(env: &mut Env) -> TestResult {
    NEXT.store(0, Ordering::SeqCst);
    ENDPOINT.store(env.endpoint()?.bits(), Ordering::SeqCst);
    WAKE.store(env.notification()?.bits(), Ordering::SeqCst);
    DONE.store(env.notification()?.bits(), Ordering::SeqCst);
    Ok(())
}

/// Waits until `n` threads noted themselves.
fn wait_for(n: usize) {
    let done: Cap<Notification> = cap(&DONE);
    while NEXT.load(Ordering::SeqCst) < n {
        done.wait();
    }
}

/// Runs S, T at `other_priority` (if any, started before C so that it is
/// first in its queue) and C at `caller_priority`, and returns the order.
fn run(env: &mut Env, caller_priority: u8, other_priority: Option<u8>) -> Result<[u8; 8], sel4_test::Failure> {
    setup(env)?;
    let what = if other_priority.is_some() { WAKE_OTHER } else { 0 };
    env.spawn(server, what, SERVER)?;
    if let Some(p) = other_priority {
        env.spawn(other, 0, p)?;
    }
    env.spawn(caller, Word::from(b'C'), caller_priority)?;
    wait_for(if other_priority.is_some() { 3 } else { 2 });
    Ok(order())
}

fn expect(found: [u8; 8], want: &[u8]) -> TestResult {
    let mut padded = [0; 8];
    padded[..want.len()].copy_from_slice(want);
    check_eq!(found, padded);
    Ok(())
}

test_case!(FAST0001, "a reply to a lower-priority caller with nothing else ready runs the caller", fast0001);
fn fast0001(env: &mut Env) -> TestResult {
    expect(run(env, 50, None)?, b"SC")
}

test_case!(FAST0002, "a reply to a lower-priority caller runs a ready thread above the caller first", fast0002);
fn fast0002(env: &mut Env) -> TestResult {
    expect(run(env, 50, Some(60))?, b"STC")
}

test_case!(FAST0003, "a reply to a lower-priority caller runs it before a ready thread of its own priority (queued at the head)", fast0003);
fn fast0003(env: &mut Env) -> TestResult {
    expect(run(env, 50, Some(50))?, b"SCT")
}

test_case!(FAST0004, "a reply to a lower-priority caller runs it before a ready thread below it", fast0004);
fn fast0004(env: &mut Env) -> TestResult {
    expect(run(env, 50, Some(40))?, b"SCT")
}

test_case!(FAST0005, "a reply to a caller of the server's priority runs it before a thread already queued there", fast0005);
fn fast0005(env: &mut Env) -> TestResult {
    expect(run(env, SERVER, Some(SERVER))?, b"SCT")
}

test_case!(FAST0006, "a reply to a caller above the server runs it at once", fast0006);
fn fast0006(env: &mut Env) -> TestResult {
    expect(run(env, SERVER + 5, Some(40))?, b"SCT")
}

test_case!(FAST0007, "a caller suspended while the server works gets no reply; resumed, it calls again", fast0007);
fn fast0007(env: &mut Env) -> TestResult {
    setup(env)?;
    env.spawn(server, TELL_BODY, SERVER)?;
    let c = env.spawn(caller, Word::from(b'C'), 50)?;
    // S tells us (we are above it) while it holds C's call: stop C there.
    cap::<Notification>(&DONE).wait();
    c.suspend()?;
    // S replies to nobody and waits again; C stays stopped.
    for _ in 0..3 {
        sel4::r#yield();
    }
    expect(order(), b"S")?;
    c.resume()?;
    wait_for(3);
    expect(order(), b"SSC")
}

test_case!(FAST0008, "a caller deleted while the server works gets no reply; the server then serves the next caller", fast0008);
fn fast0008(env: &mut Env) -> TestResult {
    setup(env)?;
    env.spawn(server, TELL_BODY, SERVER)?;
    let c = env.spawn(caller, Word::from(b'C'), 50)?;
    cap::<Notification>(&DONE).wait();
    env.cnode.cnode_delete(c.tcb.bits(), 64).or_fail("delete the caller's TCB")?;
    env.spawn(caller, Word::from(b'D'), 50)?;
    // S's note for D's call tells us too; D's own note follows.
    wait_for(3);
    expect(order(), b"SSD")
}

test_case!(FAST0009, "a ReplyRecv with its bound notification active replies, then takes the signal before blocking", fast0009);
fn fast0009(env: &mut Env) -> TestResult {
    setup(env)?;
    let own = env.notification()?;
    OWN.store(env.mint(own, CapRights::all(), 0x7)?.bits(), Ordering::SeqCst);
    let s = env.thread(server, SIGNAL_OWN, SERVER, None, false)?;
    s.tcb.tcb_bind_notification(own.cptr()).or_fail("bind S's notification")?;
    s.resume()?;
    env.spawn(caller, Word::from(b'C'), 50)?;
    wait_for(3);
    expect(order(), b"SNC")
}

// FAST0010: a thread in a VSpace whose ASID pool was deleted. Its VSpace cap
// still says "mapped, ASID n"; the slowpath sees the pool gone and runs it in
// the empty global address space, where it faults at once. 5.0.0's fastpath
// installed the stale ASID and let it run on; our patch 0002 makes the
// fastpath check, as upstream 13.0.0 does.

static REPLIED: AtomicU64 = AtomicU64::new(0);
static FAULTED: AtomicU64 = AtomicU64::new(0);
static FAULT_EP: AtomicU64 = AtomicU64::new(0);

/// The server in the other process; `ep` is the endpoint's cptr there.
fn other_server(ep: Word) {
    let ep: Cap<Endpoint> = Cap::from_bits(ep);
    let (mut info, _) = ep.recv();
    loop {
        (info, _) = ep.reply_recv(MessageInfo::new(info.label(), 0, 0, 0));
    }
}

/// Calls the server once; notes the reply.
fn asid_caller(_: Word) {
    cap::<Endpoint>(&ENDPOINT).call(MessageInfo::new(1, 0, 0, 0));
    REPLIED.fetch_add(1, Ordering::SeqCst);
    cap::<Notification>(&DONE).signal();
}

/// Takes the server's fault; notes it.
fn fault_catcher(_: Word) {
    let (info, _) = cap::<Endpoint>(&FAULT_EP).recv();
    if matches!(sel4::Fault::decode(info), sel4::Fault::VmFault { prefetch: true, .. }) {
        FAULTED.store(1, Ordering::SeqCst);
    }
    cap::<Notification>(&DONE).signal();
}

test_case!(FAST0010, "a thread whose ASID pool was deleted faults when called, on the fastpath as on the slowpath", fast0010);
fn fast0010(env: &mut Env) -> TestResult {
    use sel4::cap_type::{AsidPool, Untyped};
    use sel4::{init_thread, ObjectType};
    setup(env)?;
    REPLIED.store(0, Ordering::SeqCst);
    FAULTED.store(0, Ordering::SeqCst);
    let fault_ep = env.endpoint()?;
    FAULT_EP.store(fault_ep.bits(), Ordering::SeqCst);

    // A pool of its own, and a process whose VSpace takes an ASID from it.
    let pool_memory: Cap<Untyped> = env.create(ObjectType::Untyped, 12)?;
    let pool: Cap<AsidPool> = Cap::from_bits(env.alloc_slot()?);
    init_thread::ASID_CONTROL.asid_control_make_pool(pool_memory, env.cnode, pool.bits(), 64).or_fail("make an ASID pool")?;
    let mut process = env.process(pool)?;
    // The server, above its callers so that Call takes the fastpath.
    let ep_there = env.give(&mut process, cap::<Endpoint>(&ENDPOINT))?;
    env.process_thread(&mut process, other_server, ep_there.bits(), 90, Some(fault_ep), true)?;
    env.spawn(fault_catcher, 0, 95)?;

    // While the pool exists, a call is answered.
    env.spawn(asid_caller, 0, 80)?;
    cap::<Notification>(&DONE).wait();
    check_eq!((REPLIED.load(Ordering::SeqCst), FAULTED.load(Ordering::SeqCst)), (1, 0));

    // Delete the pool: the server's VSpace cap still claims its ASID.
    env.cnode.cnode_delete(pool.bits(), 64).or_fail("delete the ASID pool")?;
    env.spawn(asid_caller, 0, 80)?;
    cap::<Notification>(&DONE).wait();
    let outcome = (REPLIED.load(Ordering::SeqCst), FAULTED.load(Ordering::SeqCst));
    // With the check the server faults (the caller waits on); without it,
    // 5.0.0's fastpath runs it on the stale ASID and it answers.
    #[cfg(patch_fastpath_asid_check)]
    check_eq!(outcome, (1, 1));
    #[cfg(not(patch_fastpath_asid_check))]
    check_eq!(outcome, (2, 0));
    // The stuck caller and the server go with the test's memory.
    Ok(())
}
