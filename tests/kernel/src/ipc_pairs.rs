//! sel4test's IPC pairs (test_ipc_pair: IPC0001-0004, and IPC1001-1004
//! between address spaces): a first-side role (sender or caller) at each
//! priority from 2 below to 2 above the second-side one, each started first,
//! passes one message of every length 0..=120, words counting up from a seed
//! that moves between runs, and each side checks every word it receives. The
//! verdicts come back through statics (processes share this program's image).

use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, Notification};
use sel4::{init_thread, Cap, MessageInfo, Word};
use sel4_test::{check, check_eq, Env, TestResult};

use crate::ipc::{pack, unpack};

static SEED: AtomicU64 = AtomicU64::new(0);
/// Whether the nb_send receiver waits (it is above the sender).
static WAITS: AtomicU64 = AtomicU64::new(0);
static FAILS: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicU64 = AtomicU64::new(0);
/// The badge of the first side's endpoint cap.
const FIRST_SIDE_BADGE: Word = 1;

const MSG_MAX: usize = sel4::consts::MSG_MAX_LENGTH as usize;

/// The endpoint and the done notification a pair thread's `arg` names.
fn pair_caps(arg: Word) -> (Cap<Endpoint>, Cap<Notification>) {
    let (ep, done) = unpack(arg);
    (Cap::from_bits(ep), Cap::from_bits(done))
}

fn finish(done: Cap<Notification>, ok: bool) {
    if !ok {
        FAILS.fetch_add(1, Ordering::SeqCst);
    }
    FINISHED.fetch_add(1, Ordering::SeqCst);
    done.signal();
}

/// Sets words 0..len to seed, seed + 1, ...; returns the next seed.
fn put_words(len: usize, mut seed: Word) -> Word {
    sel4::with_ipc_buffer(|b| {
        for w in &mut b.msg[..len] {
            *w = seed;
            seed = seed.wrapping_add(1);
        }
    });
    seed
}

/// True when `info` has `len` words holding seed, seed + 1, ...; moves `seed` past them.
fn got_words(info: MessageInfo, len: usize, seed: &mut Word) -> bool {
    let ok = info.length() == len
        && sel4::with_ipc_buffer(|b| b.msg[..len].iter().enumerate().all(|(i, &w)| w == seed.wrapping_add(i as Word)));
    *seed = seed.wrapping_add(len as Word);
    ok
}

fn sends(arg: Word, blocking: bool) {
    let (ep, done) = pair_caps(arg);
    let mut seed = SEED.load(Ordering::SeqCst);
    for len in 0..=MSG_MAX {
        seed = put_words(len, seed);
        let info = MessageInfo::new(0, 0, 0, len as Word);
        if blocking {
            ep.send(info);
        } else {
            ep.nb_send(info);
        }
    }
    finish(done, true);
}

pub(crate) fn sender(arg: Word) {
    sends(arg, true);
}

pub(crate) fn nb_sender(arg: Word) {
    sends(arg, false);
}

pub(crate) fn receiver(arg: Word) {
    let (ep, done) = pair_caps(arg);
    let (mut seed, mut ok) = (SEED.load(Ordering::SeqCst), true);
    for len in 0..=MSG_MAX {
        let (info, _) = ep.recv();
        ok &= got_words(info, len, &mut seed);
    }
    finish(done, ok);
}

/// For nb_send: only a receiver above its sender is waiting when it sends,
/// and then it gets every message; otherwise they are all dropped, and the
/// receiver, run once the sender is done, finds nothing.
pub(crate) fn nb_receiver(arg: Word) {
    if WAITS.load(Ordering::SeqCst) == 0 {
        let (ep, done) = pair_caps(arg);
        return finish(done, ep.nb_recv().1 == 0);
    }
    receiver(arg);
}

pub(crate) fn caller(arg: Word) {
    let (ep, done) = pair_caps(arg);
    let (mut seed, mut ok) = (SEED.load(Ordering::SeqCst), true);
    for len in 0..=MSG_MAX {
        seed = put_words(len, seed);
        let reply = ep.call(MessageInfo::new(0, 0, 0, len as Word));
        ok &= got_words(reply, len, &mut seed);
    }
    finish(done, ok);
}

/// Checks each call and answers with the next `len` words, by reply_recv or
/// by a reply and then a recv.
fn serve(arg: Word, reply_recv: bool) {
    let (ep, done) = pair_caps(arg);
    let (mut seed, mut ok) = (SEED.load(Ordering::SeqCst), true);
    let mut info = ep.recv().0;
    for len in 0..=MSG_MAX {
        ok &= got_words(info, len, &mut seed);
        seed = put_words(len, seed);
        let answer = MessageInfo::new(0, 0, 0, len as Word);
        if len == MSG_MAX {
            sel4::reply(answer);
        } else if reply_recv {
            info = ep.reply_recv(answer).0;
        } else {
            sel4::reply(answer);
            info = ep.recv().0;
        }
    }
    finish(done, ok);
}

pub(crate) fn server_reply_recv(arg: Word) {
    serve(arg, true);
}

pub(crate) fn server_reply_then_recv(arg: Word) {
    serve(arg, false);
}

/// Where the two sides run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    /// Both in the test's own VSpace and CSpace.
    Shared,
    /// Each in a process of its own (`Env::process`).
    Separate,
}

/// Runs `first` and `second` in every priority and start order.
pub(crate) fn run(env: &mut Env, first: fn(Word), second: fn(Word), space: Space) -> TestResult {
    const SECOND: u8 = 50;
    FAILS.store(0, Ordering::SeqCst);
    let (ep, done) = (env.endpoint()?, env.notification()?);
    // The first side's cap is badged, so a receiver can tell a message from none.
    let first_ep = env.mint(ep, sel4::CapRights::all(), FIRST_SIDE_BADGE)?;
    // Every thread blocked before both sides finished means a side is stuck.
    crate::sched::stall_alarm_on(env, done)?;
    let mut processes = match space {
        Space::Shared => None,
        Space::Separate => Some((env.process(init_thread::ASID_POOL)?, env.process(init_thread::ASID_POOL)?)),
    };
    let args = match &mut processes {
        None => (pack(first_ep.bits(), done.bits()), pack(ep.bits(), done.bits())),
        Some((a, b)) => (
            pack(env.give(a, first_ep)?.bits(), env.give(a, done)?.bits()),
            pack(env.give(b, ep)?.bits(), env.give(b, done)?.bits()),
        ),
    };
    let mut seed: Word = 0xabba_cafe;
    for first_priority in SECOND - 2..=SECOND + 2 {
        for second_started_first in [false, true] {
            SEED.store(seed, Ordering::SeqCst);
            WAITS.store(Word::from(first_priority < SECOND), Ordering::SeqCst);
            FINISHED.store(0, Ordering::SeqCst);
            let (x, y) = match &mut processes {
                None => (env.thread(first, args.0, first_priority, None, false)?, env.thread(second, args.1, SECOND, None, false)?),
                Some((a, b)) => (
                    env.process_thread(a, first, args.0, first_priority, None, false)?,
                    env.process_thread(b, second, args.1, SECOND, None, false)?,
                ),
            };
            // Threads are queued at the head: the one resumed last runs first.
            let (earlier, later) = if second_started_first { (y, x) } else { (x, y) };
            earlier.resume()?;
            later.resume()?;
            while FINISHED.load(Ordering::SeqCst) < 2 {
                let badge = done.wait();
                check!(badge & crate::sched::STALLED == 0, "stuck: first side at priority {}, second started first {}", first_priority, second_started_first);
            }
            check_eq!(FAILS.load(Ordering::SeqCst), 0);
            seed = seed.wrapping_add(0x7171_7171);
        }
    }
    Ok(())
}
