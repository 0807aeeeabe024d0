//! IPC: send/receive, call/reply, message words and badges.

use core::sync::atomic::{AtomicU64, Ordering};

use sel4::{with_ipc_buffer, CapRights, Error, MessageInfo, Word};
use sel4_test::{check, check_eq, check_err, test_case, Env, ResultExt, TestResult};

use crate::ipc_pairs::{self, Space};

/// Receives one message on the endpoint in `arg` and echoes it back, words
/// doubled, as the reply.
fn doubling_server(arg: Word) {
    let ep = sel4::Cap::<sel4::cap_type::Endpoint>::from_bits(arg);
    let (info, _) = ep.recv();
    with_ipc_buffer(|b| {
        for w in &mut b.msg[..info.length().min(MSG_MAX)] {
            *w *= 2;
        }
    });
    sel4::reply(MessageInfo::new(info.label() + 1, 0, 0, info.length() as Word));
}

test_case!(IPC0001, "call and reply carry a label and message words both ways", ipc0001);
fn ipc0001(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    env.spawn(doubling_server, ep.bits(), 150)?;
    with_ipc_buffer(|b| b.msg[..3].copy_from_slice(&[1, 2, 3]));
    let reply = ep.call(MessageInfo::new(0x10, 0, 0, 3));
    check_eq!(reply.label(), 0x11);
    check_eq!(reply.length(), 3);
    let words = with_ipc_buffer(|b| [b.msg[0], b.msg[1], b.msg[2]]);
    check_eq!(words, [2, 4, 6]);
    Ok(())
}

fn badge_sender(arg: Word) {
    let ep = sel4::Cap::<sel4::cap_type::Endpoint>::from_bits(arg);
    ep.send(MessageInfo::new(7, 0, 0, 0));
}

test_case!(IPC0002, "a message sent through a badged endpoint cap carries the badge", ipc0002);
fn ipc0002(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let badged = env.mint(ep, CapRights::all(), 0x5a)?;
    env.spawn(badge_sender, badged.bits(), 150)?;
    let (info, badge) = ep.recv();
    check_eq!(badge, 0x5a);
    check_eq!(info.label(), 7);
    Ok(())
}

fn fail0001(_env: &mut Env) -> TestResult {
    sel4_test::check!(1 + 1 == 3, "deliberate failure: proves the suite reports failing tests");
    Ok(())
}
test_case!(FAIL0001, "always fails: run by name to check that failures are reported", fail0001, manual);

/// Not a real server: faults at once, to check the driver reports it.
fn faulting_thread(_: Word) {
    // SAFETY: deliberately not safe: the write must fault.
    unsafe { (0xdead_0000 as *mut u64).write_volatile(1) };
}

fn fail0002(env: &mut Env) -> TestResult {
    env.spawn(faulting_thread, 0, 150).map(|_| ())?;
    // The helper runs first (higher priority) and faults; the driver ends this test.
    let ntfn = env.notification()?;
    ntfn.wait();
    Ok(())
}
test_case!(FAIL0002, "a thread of the test faults: run by name to check faults are reported", fail0002, manual);


// ---------------------------------------------------------------------------
// Helpers shared by the tests below.

type Endpoint = sel4::Cap<sel4::cap_type::Endpoint>;

const MSG_MAX: usize = sel4::consts::MSG_MAX_LENGTH as usize;

/// Packs two cptrs into one thread argument (slot numbers fit in 32 bits).
pub(crate) fn pack(a: Word, b: Word) -> Word {
    a | (b << 32)
}

pub(crate) fn unpack(arg: Word) -> (Word, Word) {
    (arg & 0xffff_ffff, arg >> 32)
}

/// The word a test message carries at `index` of a message of `len` words.
fn pattern(len: usize, index: usize) -> Word {
    ((len as Word) << 16) | (index as Word + 1)
}

fn fill_pattern(len: usize) {
    with_ipc_buffer(|b| {
        for (i, w) in b.msg[..len].iter_mut().enumerate() {
            *w = pattern(len, i);
        }
    });
}

fn has_pattern(len: usize) -> bool {
    with_ipc_buffer(|b| b.msg[..len].iter().enumerate().all(|(i, &w)| w == pattern(len, i)))
}

/// Points this thread's receive slot at `slot` of the root CNode.
fn set_receive_slot(slot: Word) {
    with_ipc_buffer(|b| {
        b.receive_cnode = sel4::init_thread::CNODE.bits();
        b.receive_index = slot;
        b.receive_depth = 64;
    });
}

/// What helper threads report back; each test resets what it uses.
static SEEN_LABEL: AtomicU64 = AtomicU64::new(0);
static SEEN_COUNT: AtomicU64 = AtomicU64::new(0);

fn reset_seen() {
    SEEN_LABEL.store(0, Ordering::SeqCst);
    SEEN_COUNT.store(0, Ordering::SeqCst);
}

/// Receives on the endpoint in `arg` forever, recording each message's label
/// (the latest) and how many arrived.
fn recording_receiver(arg: Word) {
    let ep = Endpoint::from_bits(arg);
    loop {
        let (info, _) = ep.recv();
        SEEN_LABEL.store(info.label(), Ordering::SeqCst);
        SEEN_COUNT.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------

/// Sends one message of every length from 0 to the maximum, label = length.
fn all_lengths_sender(arg: Word) {
    let ep = Endpoint::from_bits(arg);
    for len in 0..=MSG_MAX {
        fill_pattern(len);
        ep.send(MessageInfo::new(len as Word, 0, 0, len as Word));
    }
}

test_case!(IPC0003, "send/recv delivers messages of every length 0..=120 intact, label = length", ipc0003);
fn ipc0003(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    env.spawn(all_lengths_sender, ep.bits(), 150)?;
    for len in 0..=MSG_MAX {
        let (info, badge) = ep.recv();
        check_eq!(badge, 0);
        check_eq!(info.label(), len as Word);
        check_eq!(info.length(), len);
        check!(has_pattern(len), "message of {} words arrived altered", len);
    }
    Ok(())
}

/// A server loop: replies to each call with the sum of its words plus the
/// badge, same label, then waits for the next call with reply_recv.
fn summing_server(arg: Word) {
    let ep = Endpoint::from_bits(arg);
    let (mut info, mut badge) = ep.recv();
    loop {
        with_ipc_buffer(|b| b.msg[0] = b.msg[..info.length().min(MSG_MAX)].iter().sum::<Word>() + badge);
        (info, badge) = ep.reply_recv(MessageInfo::new(info.label(), 0, 0, 1));
    }
}

test_case!(IPC0004, "a reply_recv server loop answers a series of calls of varying length, with the caller's badge", ipc0004);
fn ipc0004(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    env.spawn(summing_server, ep.bits(), 150)?;
    let client = env.mint(ep, CapRights::all(), 1000)?;
    for n in 0..20usize {
        with_ipc_buffer(|b| {
            for (i, w) in b.msg[..n].iter_mut().enumerate() {
                *w = i as Word + 1;
            }
        });
        let reply = client.call(MessageInfo::new(n as Word + 1, 0, 0, n as Word));
        check_eq!(reply.label(), n as Word + 1);
        check_eq!(reply.length(), 1);
        check_eq!(with_ipc_buffer(|b| b.msg[0]), (n * (n + 1) / 2) as Word + 1000);
    }
    Ok(())
}

/// Receives twice, replying after each receive although nobody called.
fn replying_receiver(arg: Word) {
    let ep = Endpoint::from_bits(arg);
    for _ in 0..2 {
        let (info, _) = ep.recv();
        SEEN_LABEL.store(info.label(), Ordering::SeqCst);
        SEEN_COUNT.fetch_add(1, Ordering::SeqCst);
        sel4::reply(MessageInfo::new(0, 0, 0, 0));
    }
}

test_case!(IPC0005, "a reply after receiving a plain send is a harmless no-op", ipc0005);
fn ipc0005(env: &mut Env) -> TestResult {
    reset_seen();
    let ep = env.endpoint()?;
    env.spawn(replying_receiver, ep.bits(), 150)?;
    for label in 1..=2 {
        ep.send(MessageInfo::new(label, 0, 0, 0));
        // The receiver runs at once (higher priority) and replies to nobody.
        check_eq!(SEEN_LABEL.load(Ordering::SeqCst), label);
        check_eq!(SEEN_COUNT.load(Ordering::SeqCst), label);
    }
    Ok(())
}

test_case!(IPC0006, "nb_send with no receiver waiting drops the message without blocking", ipc0006);
fn ipc0006(env: &mut Env) -> TestResult {
    reset_seen();
    let ep = env.endpoint()?;
    ep.nb_send(MessageInfo::new(1, 0, 0, 0));
    env.spawn(recording_receiver, ep.bits(), 150)?;
    check_eq!(SEEN_COUNT.load(Ordering::SeqCst), 0);
    ep.nb_send(MessageInfo::new(2, 0, 0, 0));
    check_eq!(SEEN_COUNT.load(Ordering::SeqCst), 1);
    check_eq!(SEEN_LABEL.load(Ordering::SeqCst), 2);
    Ok(())
}

/// Sends a full message whose tag claims 127 words (the 7-bit field's maximum).
fn overlong_sender(arg: Word) {
    let ep = Endpoint::from_bits(arg);
    fill_pattern(MSG_MAX);
    ep.send(MessageInfo::new(3, 0, 0, 127));
}

test_case!(IPC0007, "a message tag longer than 120 words arrives truncated to 120, words intact", ipc0007);
fn ipc0007(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    env.spawn(overlong_sender, ep.bits(), 150)?;
    let (info, _) = ep.recv();
    check_eq!(info.label(), 3);
    check_eq!(info.length(), MSG_MAX);
    check!(has_pattern(MSG_MAX), "truncated message arrived altered");
    Ok(())
}

/// Sends the cap at the second cptr of `arg` through the endpoint at the first.
fn cap_sender(arg: Word) {
    let (ep, cap) = unpack(arg);
    with_ipc_buffer(|b| b.caps_or_badges[0] = cap);
    Endpoint::from_bits(ep).send(MessageInfo::new(4, 0, 1, 0));
}

test_case!(IPC0008, "a cap sent with extra_caps=1 lands in the receive slot and works there", ipc0008);
fn ipc0008(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let ntfn = env.notification()?;
    let badged = env.mint(ntfn, CapRights::all(), 0x30)?;
    let slot = env.alloc_slot()?;
    env.spawn(cap_sender, pack(ep.bits(), badged.bits()), 150)?;
    set_receive_slot(slot);
    let (info, _) = ep.recv();
    check_eq!(info.label(), 4);
    check_eq!(info.extra_caps(), 1);
    check_eq!(info.caps_unwrapped(), 0);
    // The received cap keeps its badge: signalling through it reaches `ntfn`.
    sel4::Cap::<sel4::cap_type::Notification>::from_bits(slot).signal();
    check_eq!(ntfn.poll(), 0x30);
    Ok(())
}

test_case!(IPC0009, "a badged cap sent to its own endpoint is unwrapped: badge in caps_or_badges, no cap moved", ipc0009);
fn ipc0009(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let badged = env.mint(ep, CapRights::all(), 0x77)?;
    let slot = env.alloc_slot()?;
    env.spawn(cap_sender, pack(ep.bits(), badged.bits()), 150)?;
    set_receive_slot(slot);
    let (info, _) = ep.recv();
    check_eq!(info.extra_caps(), 1);
    check_eq!(info.caps_unwrapped(), 1);
    check_eq!(with_ipc_buffer(|b| b.caps_or_badges[0]), 0x77);
    let probe = env.alloc_slot()?;
    check_err!(env.cnode.cnode_copy(probe, 64, env.cnode, slot, 64, CapRights::all()), Error::FailedLookup);
    Ok(())
}

test_case!(IPC0010, "sending a cap through an endpoint cap without grant delivers the message but no cap", ipc0010);
fn ipc0010(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let no_grant = env.mint(ep, CapRights::read_write(), 0)?;
    let ntfn = env.notification()?;
    let slot = env.alloc_slot()?;
    env.spawn(cap_sender, pack(no_grant.bits(), ntfn.bits()), 150)?;
    set_receive_slot(slot);
    let (info, _) = ep.recv();
    check_eq!(info.label(), 4);
    check_eq!(info.extra_caps(), 0);
    let probe = env.alloc_slot()?;
    check_err!(env.cnode.cnode_copy(probe, 64, env.cnode, slot, 64, CapRights::all()), Error::FailedLookup);
    Ok(())
}

test_case!(IPC0011, "for every rights value of an endpoint cap (grant, read, write), send through it delivers only with write; without write, call returns InvalidCapability; the full cap still delivers (sel4test IPCRIGHTS0001)", ipc0011);
fn ipc0011(env: &mut Env) -> TestResult {
    reset_seen();
    let ep = env.endpoint()?;
    env.spawn(recording_receiver, ep.bits(), 150)?;
    let mut delivered = 0;
    for bits in 0..8u8 {
        let (grant, read, write) = (bits & 4 != 0, bits & 2 != 0, bits & 1 != 0);
        let minted = env.mint(ep, CapRights::new(grant, read, write), 0)?;
        let label = 100 + Word::from(bits);
        minted.send(MessageInfo::new(label, 0, 0, 0));
        if write {
            delivered += 1;
            check_eq!(SEEN_LABEL.load(Ordering::SeqCst), label);
        } else {
            let reply = minted.call(MessageInfo::new(label, 0, 0, 0));
            check_eq!(reply.label(), Error::InvalidCapability as Word);
        }
        check_eq!(SEEN_COUNT.load(Ordering::SeqCst), delivered);
        ep.send(MessageInfo::new(2, 0, 0, 0));
        delivered += 1;
        check_eq!((SEEN_COUNT.load(Ordering::SeqCst), SEEN_LABEL.load(Ordering::SeqCst)), (delivered, 2));
    }
    Ok(())
}

/// Receives one message and records it; `arg` packs the endpoint and a
/// notification to signal once the record is made.
fn receive_then_signal(arg: Word) {
    let (ep, ntfn) = unpack(arg);
    let (info, _) = Endpoint::from_bits(ep).recv();
    SEEN_LABEL.store(info.label(), Ordering::SeqCst);
    sel4::Cap::<sel4::cap_type::Notification>::from_bits(ntfn).signal();
}

test_case!(IPC0012, "a higher-priority receiver runs as soon as a send reaches it; a lower-priority one only once the sender blocks", ipc0012);
fn ipc0012(env: &mut Env) -> TestResult {
    reset_seen();
    let ep = env.endpoint()?;
    let done = env.notification()?;
    env.spawn(receive_then_signal, pack(ep.bits(), done.bits()), 150)?;
    ep.send(MessageInfo::new(1, 0, 0, 0));
    check_eq!(SEEN_LABEL.load(Ordering::SeqCst), 1);
    done.wait();

    env.spawn(receive_then_signal, pack(ep.bits(), done.bits()), 50)?;
    // The receiver has not run yet: the send blocks until it does, and the
    // test (higher priority) resumes before the receiver records anything.
    ep.send(MessageInfo::new(2, 0, 0, 0));
    check_eq!(SEEN_LABEL.load(Ordering::SeqCst), 1);
    done.wait();
    check_eq!(SEEN_LABEL.load(Ordering::SeqCst), 2);
    Ok(())
}

fn label_sender(arg: Word) {
    let (ep, label) = unpack(arg);
    Endpoint::from_bits(ep).send(MessageInfo::new(label, 0, 0, 0));
}

test_case!(IPC0013, "deleting a thread blocked sending on an endpoint removes its message; the endpoint still works", ipc0013);
fn ipc0013(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let doomed = env.spawn(label_sender, pack(ep.bits(), 1), 150)?;
    env.cnode.cnode_delete(doomed.tcb.bits(), 64).or_fail("delete the blocked thread")?;
    env.spawn(label_sender, pack(ep.bits(), 2), 150)?;
    let (info, _) = ep.recv();
    check_eq!(info.label(), 2);
    Ok(())
}

/// Receives one message on the endpoint in `arg`, then tells the body.
fn receive_once(arg: Word) {
    sel4::Cap::<sel4::cap_type::Endpoint>::from_bits(arg).recv();
    sel4::Cap::<sel4::cap_type::Notification>::from_bits(IPCBUF_DONE.load(Ordering::SeqCst)).signal();
}
static IPCBUF_DONE: AtomicU64 = AtomicU64::new(0);

test_case!(IPC0014, "an IPC buffer at page offset 0xe00 (it would run into the next frame) is refused (upstream d2644e8ab)", ipc0014);
fn ipc0014(env: &mut Env) -> TestResult {
    use sel4::cap_type::Page;
    use sel4::{ObjectType, VmAttributes};
    // Two frames, physically one after the other (retyped back to back).
    let first: sel4::Cap<Page> = env.create(ObjectType::SmallPage, 0)?;
    let second: sel4::Cap<Page> = env.create(ObjectType::SmallPage, 0)?;
    let (a, b) = (first.page_get_address().or_fail("paddr")?, second.page_get_address().or_fail("paddr")?);
    check_eq!(b, a + 4096);
    let (first_at, second_at) = (env.reserve_pages(1)?, env.reserve_pages(1)?);
    env.map(first, first_at, CapRights::read_write(), VmAttributes::DEFAULT)?;
    env.map(second, second_at, CapRights::read_write(), VmAttributes::DEFAULT)?;

    let ep = env.endpoint()?;
    let done = env.notification()?;
    IPCBUF_DONE.store(done.bits(), Ordering::SeqCst);
    let t = env.thread(receive_once, ep.bits(), 90, None, false)?;
    let set = t.tcb.tcb_set_ipc_buffer(first_at + 0xe00, first.cptr());
    #[cfg(patch_ipc_buffer_align)]
    check_eq!(set, Err(Error::AlignmentError));
    #[cfg(not(patch_ipc_buffer_align))]
    {
        // 5.0.0 accepts it, and a 120-word message then spills into the next frame.
        check_eq!(set, Ok(()));
        t.resume()?;
        with_ipc_buffer(|buf| {
            for (i, w) in buf.msg.iter_mut().enumerate() {
                *w = 0x5911_0000 + i as Word;
            }
        });
        ep.send(MessageInfo::new(0, 0, 0, 120));
        done.wait();
        // Word i of the message lands at 0xe00 + 8 + 8 * i: word 63 is the next frame's first.
        // SAFETY: `second` is mapped read-write at `second_at` for the test.
        let spilled = unsafe { core::ptr::read_volatile(second_at as *const Word) };
        check_eq!(spilled, 0x5911_0000 + 63);
    }
    Ok(())
}

// sel4test's IPC0001-IPC0004: the IPC pairs of ipc_pairs.rs, both sides here.

test_case!(IPC0015, "send + recv of every length 0..=120, the sender from 2 below to 2 above the receiver, each started first (sel4test IPC0001)", ipc0015);
fn ipc0015(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::sender, ipc_pairs::receiver, Space::Shared)
}

test_case!(IPC0016, "call + reply_recv of every length 0..=120, in every priority order and start order (sel4test IPC0002)", ipc0016);
fn ipc0016(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::caller, ipc_pairs::server_reply_recv, Space::Shared)
}

test_case!(IPC0017, "call + reply, then recv, of every length 0..=120, in every priority order and start order (sel4test IPC0003)", ipc0017);
fn ipc0017(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::caller, ipc_pairs::server_reply_then_recv, Space::Shared)
}

test_case!(IPC0018, "nb_send + recv of every length: a receiver above the sender gets all, one below none (sel4test IPC0004)", ipc0018);
fn ipc0018(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::nb_sender, ipc_pairs::nb_receiver, Space::Shared)
}

/// Calls the endpoint at `arg` with one word and counts the replies it gets.
fn counting_caller(arg: Word) {
    with_ipc_buffer(|b| b.msg[0] = 0xabba_cafe);
    Endpoint::from_bits(arg).call(MessageInfo::new(0x19, 0, 0, 1));
    SEEN_COUNT.fetch_add(1, Ordering::SeqCst);
}

test_case!(IPC0019, "a caller suspended while its call awaits the reply loses the reply cap; resumed, it calls again rather than return; suspended again and deleted it never returns, and the endpoint serves the next caller (sel4test IPC0010)", ipc0019);
fn ipc0019(env: &mut Env) -> TestResult {
    reset_seen();
    let ep = env.endpoint()?;
    // Badged, so that an nb_recv can tell a caller (badge 1) from none (0).
    let badged = env.mint(ep, CapRights::all(), 1)?;
    // Below the test: it calls once the test waits.
    let caller = env.spawn(counting_caller, badged.bits(), 90)?;
    let (info, _) = ep.recv();
    check_eq!((info.label(), info.length()), (0x19, 1));
    check_eq!(with_ipc_buffer(|b| b.msg[0]), 0xabba_cafe);
    caller.suspend()?;
    // Suspending cancelled the call: the test holds no reply cap to save.
    let saved = env.alloc_slot()?;
    env.cnode.cnode_save_caller(saved, 64).or_fail("save_caller")?;
    let probe = env.alloc_slot()?;
    check_err!(env.cnode.cnode_copy(probe, 64, env.cnode, saved, 64, CapRights::all()), Error::FailedLookup);
    caller.resume()?;
    // Resumed, it runs once the test waits, and restarts its call: it is a
    // caller again, not returned.
    let idle = env.notification()?;
    crate::sched::stall_alarm_on(env, idle)?;
    idle.wait();
    check_eq!(SEEN_COUNT.load(Ordering::SeqCst), 0);
    let (info, badge) = ep.nb_recv();
    check_eq!((badge, info.label()), (1, 0x19));
    caller.suspend()?;
    env.cnode.cnode_delete(caller.tcb.bits(), 64).or_fail("delete the caller")?;
    check_eq!(SEEN_COUNT.load(Ordering::SeqCst), 0);
    // Nobody is left queued on the endpoint, and a new caller is served.
    check_eq!(ep.nb_recv().1, 0);
    env.spawn(counting_caller, badged.bits(), 90)?;
    let (info, _) = ep.recv();
    check_eq!(info.label(), 0x19);
    sel4::reply(MessageInfo::new(0, 0, 0, 0));
    // The caller, below the test, returns from its call while the test waits
    // for every other thread to block.
    crate::sched::stall_alarm_on(env, idle)?;
    idle.wait();
    check_eq!(SEEN_COUNT.load(Ordering::SeqCst), 1);
    Ok(())
}
