//! Threads in other address spaces: processes (a VSpace and a CSpace of the
//! test's own, see `Env::process`) running this program's code.

use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, Notification};
use sel4::{init_thread, Cap, MessageInfo, Word};
use sel4_test::{check_eq, test_case, Env, TestResult};

use crate::fault::{self, handled_faults};
use crate::ipc::{pack, unpack};

/// Sends 42 in one word on the endpoint `ep` (a cptr of its own CSpace).
fn answer(ep: Word) {
    sel4::with_ipc_buffer(|b| b.msg[0] = 42);
    Cap::<Endpoint>::from_bits(ep).send(MessageInfo::new(0, 0, 0, 1));
}

test_case!(INTERAS0001, "a thread in a VSpace and CSpace of its own runs and sends back what it computed (sel4test VSPACE0000)", interas0001);
fn interas0001(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let mut process = env.process(init_thread::ASID_POOL)?;
    let theirs = env.give(&mut process, ep)?;
    env.process_thread(&mut process, answer, theirs.bits(), 150, None, true)?;
    let (info, _) = ep.recv();
    check_eq!(info.length(), 1);
    check_eq!(sel4::with_ipc_buffer(|b| b.msg[0]), 42);
    Ok(())
}

// sel4test's IPC1001-IPC1004: the pairs of IPC0001-IPC0004 (see ipc.rs),
// each side in a process of its own. Each thread checks what it receives;
// the verdicts come back through statics (the processes share the image).

static SEED: AtomicU64 = AtomicU64::new(0);
/// Whether the nb_send receiver waits (it is above the sender).
static WAITS: AtomicU64 = AtomicU64::new(0);
static FAILS: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicU64 = AtomicU64::new(0);

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

fn sender(arg: Word) {
    sends(arg, true);
}

fn nb_sender(arg: Word) {
    sends(arg, false);
}

fn receiver(arg: Word) {
    let (ep, done) = pair_caps(arg);
    let (mut seed, mut ok) = (SEED.load(Ordering::SeqCst), true);
    for len in 0..=MSG_MAX {
        let (info, _) = ep.recv();
        ok &= got_words(info, len, &mut seed);
    }
    finish(done, ok);
}

/// For nb_send: only a receiver above its sender is waiting when it sends,
/// and then it gets every message; otherwise they are all dropped.
fn nb_receiver(arg: Word) {
    if WAITS.load(Ordering::SeqCst) == 0 {
        return finish(pair_caps(arg).1, true);
    }
    receiver(arg);
}

fn caller(arg: Word) {
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

fn server_reply_recv(arg: Word) {
    serve(arg, true);
}

fn server_reply_then_recv(arg: Word) {
    serve(arg, false);
}

/// Runs `first_side` in one process and `second_side` in another, the first
/// from 2 below to 2 above the second, each started first.
fn pair_between_processes(env: &mut Env, first_side: fn(Word), second_side: fn(Word)) -> TestResult {
    const SECOND: u8 = 50;
    FAILS.store(0, Ordering::SeqCst);
    let (ep, done) = (env.endpoint()?, env.notification()?);
    let mut a = env.process(init_thread::ASID_POOL)?;
    let mut b = env.process(init_thread::ASID_POOL)?;
    let a_arg = pack(env.give(&mut a, ep)?.bits(), env.give(&mut a, done)?.bits());
    let b_arg = pack(env.give(&mut b, ep)?.bits(), env.give(&mut b, done)?.bits());
    let mut seed: Word = 0xabba_cafe;
    for first_priority in SECOND - 2..=SECOND + 2 {
        for second_started_first in [false, true] {
            SEED.store(seed, Ordering::SeqCst);
            WAITS.store(Word::from(first_priority < SECOND), Ordering::SeqCst);
            FINISHED.store(0, Ordering::SeqCst);
            let x = env.process_thread(&mut a, first_side, a_arg, first_priority, None, false)?;
            let y = env.process_thread(&mut b, second_side, b_arg, SECOND, None, false)?;
            // Threads are queued at the head: the one resumed last runs first.
            let (earlier, later) = if second_started_first { (y, x) } else { (x, y) };
            earlier.resume()?;
            later.resume()?;
            while FINISHED.load(Ordering::SeqCst) < 2 {
                done.wait();
            }
            check_eq!(FAILS.load(Ordering::SeqCst), 0);
            seed = seed.wrapping_add(0x7171_7171);
        }
    }
    Ok(())
}

test_case!(INTERAS0002, "send + recv between two processes, every length 0..=120, the sender 2 below to 2 above the receiver, each started first (sel4test IPC1001)", interas0002);
fn interas0002(env: &mut Env) -> TestResult {
    pair_between_processes(env, sender, receiver)
}

test_case!(INTERAS0003, "call + reply_recv between two processes, every length, priority order and start order (sel4test IPC1002)", interas0003);
fn interas0003(env: &mut Env) -> TestResult {
    pair_between_processes(env, caller, server_reply_recv)
}

test_case!(INTERAS0004, "call + reply, then recv, between two processes, every length, priority order and start order (sel4test IPC1003)", interas0004);
fn interas0004(env: &mut Env) -> TestResult {
    pair_between_processes(env, caller, server_reply_then_recv)
}

test_case!(INTERAS0005, "nb_send + recv between two processes: a receiver above the sender gets every length, one below none (sel4test IPC1004)", interas0005);
fn interas0005(env: &mut Env) -> TestResult {
    pair_between_processes(env, nb_sender, nb_receiver)
}

// sel4test's PAGEFAULT1001-PAGEFAULT1004: the handled faults of fault.rs
// (PAGEFAULT0001-0004) with the faulter and the handler each in a process.

test_case!(INTERAS0006, "a read fault in one process handled from another: badged or not, restarted or left, faulter below/at/above the handler (sel4test PAGEFAULT1001)", interas0006);
fn interas0006(env: &mut Env) -> TestResult {
    handled_faults(env, fault::READ, true)
}

test_case!(INTERAS0007, "a write fault in one process handled from another, in the same cases (sel4test PAGEFAULT1002)", interas0007);
fn interas0007(env: &mut Env) -> TestResult {
    handled_faults(env, fault::WRITE, true)
}

test_case!(INTERAS0008, "an instruction fault in one process handled from another, in the same cases (sel4test PAGEFAULT1003)", interas0008);
fn interas0008(env: &mut Env) -> TestResult {
    handled_faults(env, fault::EXECUTE, true)
}

test_case!(INTERAS0009, "an unknown syscall in one process handled from another by the reply's registers, in the same cases (sel4test PAGEFAULT1004)", interas0009);
fn interas0009(env: &mut Env) -> TestResult {
    handled_faults(env, fault::SYSCALL, true)
}
