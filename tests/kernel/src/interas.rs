//! Threads in other address spaces: processes (a VSpace and a CSpace of the
//! test's own, see `Env::process`) running this program's code.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, Notification, Tcb};
use sel4::{init_thread, Cap, CapRights, Fault, MessageInfo, Word};
use sel4_test::{check, check_eq, test_case, Env, TestResult};

use crate::fault::ESR_WNR;
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

// sel4test's PAGEFAULT1001-PAGEFAULT1004: a thread in one process faults
// (read, write, instruction fetch at an unmapped address, or an unknown
// syscall), with w0 = BAD_MAGIC; a handler in another process receives the
// fault on an endpoint, badged or not, checks it, and sets the faulter's x0
// to GOOD_MAGIC and its pc past the fault: through its TCB for VM faults,
// through the reply for the syscall. It replies so that the faulter goes on
// ("restart"), or leaves it stopped. The faulter runs 1 below, at and 1
// above the handler.

const BAD_VADDR: Word = 0x7edc_ba98_7650;
const GOOD_MAGIC: u32 = 0x1583_1851;
const BAD_MAGIC: u32 = !GOOD_MAGIC;
const BAD_SYSCALL: Word = 0xc1;
const EXPECTED_BADGE: Word = 0xabab_aba;

const READ: Word = 0;
const WRITE: Word = 1;
const EXECUTE: Word = 2;
const SYSCALL: Word = 3;

static KIND: AtomicU64 = AtomicU64::new(0);
static BADGED: AtomicU64 = AtomicU64::new(0);
static RESTART: AtomicU64 = AtomicU64::new(0);
/// Where the faulting instruction is, and where the handler resumes it.
static FAULT_AT: AtomicU64 = AtomicU64::new(0);
static RESUME_AT: AtomicU64 = AtomicU64::new(0);
/// w0 as the faulter saw it after being resumed.
static FAULTER_SAW: AtomicU64 = AtomicU64::new(0);
/// The line of the handler's first failed check (0: all held).
static HANDLER_FAILED_AT: AtomicU64 = AtomicU64::new(0);

/// Makes the fault KIND names; returns w0 as it is after the handler resumed it.
fn make_fault(kind: Word) -> u32 {
    let (at, resume) = (FAULT_AT.as_ptr(), RESUME_AT.as_ptr());
    let mut val = BAD_MAGIC;
    // SAFETY: each block faults at label 2 (or, jumping to BAD_VADDR, there)
    // with w0 = BAD_MAGIC; the handler resumes it at label 3 with only x0
    // changed (x0..x7 for the syscall, declared clobbered).
    unsafe {
        match kind {
            READ => asm!(
                "adr {t}, 2f", "str {t}, [{at}]", "adr {t}, 3f", "str {t}, [{resume}]",
                "mov w0, {val:w}", "2: ldr x0, [{addr}]", "3: mov {val:w}, w0",
                t = out(reg) _, at = in(reg) at, resume = in(reg) resume, addr = in(reg) BAD_VADDR,
                val = inout(reg) val, out("x0") _, options(nostack)),
            WRITE => asm!(
                "adr {t}, 2f", "str {t}, [{at}]", "adr {t}, 3f", "str {t}, [{resume}]",
                "mov w0, {val:w}", "2: str x0, [{addr}]", "3: mov {val:w}, w0",
                t = out(reg) _, at = in(reg) at, resume = in(reg) resume, addr = in(reg) BAD_VADDR,
                val = inout(reg) val, out("x0") _, options(nostack)),
            EXECUTE => asm!(
                "adr {t}, 3f", "str {t}, [{resume}]",
                "mov w0, {val:w}", "blr {addr}", "3: mov {val:w}, w0",
                t = out(reg) _, resume = in(reg) resume, addr = in(reg) BAD_VADDR,
                val = inout(reg) val, out("x0") _, out("x30") _, options(nostack)),
            _ => asm!(
                "adr {t}, 2f", "str {t}, [{at}]", "adr {t}, 3f", "str {t}, [{resume}]",
                "mov w0, {val:w}", "2: svc #0", "3: mov {val:w}, w0",
                t = out(reg) _, at = in(reg) at, resume = in(reg) resume, val = inout(reg) val,
                inout("x7") BAD_SYSCALL => _, out("x0") _, out("x1") _, out("x2") _, out("x3") _,
                out("x4") _, out("x5") _, out("x6") _, options(nostack)),
        }
    }
    val
}

/// The faulter: `arg` is its done notification's cptr.
fn faulter(done: Word) {
    FAULTER_SAW.store(Word::from(make_fault(KIND.load(Ordering::SeqCst))), Ordering::SeqCst);
    FINISHED.fetch_add(1, Ordering::SeqCst);
    Cap::<Notification>::from_bits(done).signal();
}

macro_rules! ensure {
    ($cond:expr) => {
        if !$cond {
            return Err(line!());
        }
    };
}

/// Receives one fault on `ep` and deals with it as the test's flags say;
/// `tcb` is the faulter's. Err: the line of the check that failed.
fn handle(ep: Cap<Endpoint>, tcb: Cap<Tcb>) -> Result<(), u32> {
    let (info, badge) = ep.recv();
    let restart = RESTART.load(Ordering::SeqCst) != 0;
    ensure!(badge == if BADGED.load(Ordering::SeqCst) != 0 { EXPECTED_BADGE } else { 0 });
    let (kind, fault_at, resume) = (KIND.load(Ordering::SeqCst), FAULT_AT.load(Ordering::SeqCst), RESUME_AT.load(Ordering::SeqCst));
    match Fault::decode(info) {
        Fault::UnknownSyscall { ip, syscall, x, .. } if kind == SYSCALL => {
            use sel4::fault_layout::unknown_syscall as u;
            ensure!(info.length() == u::LENGTH);
            ensure!(ip == fault_at && syscall == BAD_SYSCALL && x[0] as u32 == BAD_MAGIC);
            // The reply's words become the registers; a label other than 0 leaves it stopped.
            sel4::with_ipc_buffer(|b| {
                b.msg[u::FAULT_IP] = resume;
                b.msg[u::X0] = Word::from(GOOD_MAGIC);
            });
            sel4::reply(MessageInfo::new(Word::from(!restart), 0, 0, info.length() as Word));
        }
        Fault::VmFault { ip, addr, prefetch, fsr } if kind != SYSCALL => {
            ensure!(info.length() == sel4::fault_layout::vm_fault::LENGTH);
            let expected_ip = if kind == EXECUTE { BAD_VADDR } else { fault_at };
            ensure!(ip == expected_ip && addr == BAD_VADDR);
            ensure!(prefetch == (kind == EXECUTE));
            ensure!((fsr & ESR_WNR != 0) == (kind == WRITE));
            let mut regs = sel4::UserContext::default();
            let words = sel4::sys::USER_CONTEXT_WORDS as Word;
            ensure!(tcb.tcb_read_registers(false, 0, words, &mut regs).is_ok());
            ensure!(regs.x0 as u32 == BAD_MAGIC);
            regs.x0 = Word::from(GOOD_MAGIC);
            regs.pc = resume;
            ensure!(tcb.tcb_write_registers(false, 0, words, &regs).is_ok());
            if restart {
                sel4::reply(info);
            }
        }
        _ => return Err(line!()),
    }
    Ok(())
}

/// The handler: `arg` packs its fault endpoint, the faulter's TCB and its
/// done notification (cptrs of its own CSpace, below 2^21).
fn handler(arg: Word) {
    let slot = |i: u32| (arg >> (21 * i)) & ((1 << 21) - 1);
    let failed = handle(Cap::from_bits(slot(0)), Cap::from_bits(slot(1))).err().unwrap_or(0);
    HANDLER_FAILED_AT.store(Word::from(failed), Ordering::SeqCst);
    FINISHED.fetch_add(1, Ordering::SeqCst);
    Cap::<Notification>::from_bits(slot(2)).signal();
}

fn faults_between_processes(env: &mut Env, kind: Word) -> TestResult {
    const HANDLER: u8 = 101;
    KIND.store(kind, Ordering::SeqCst);
    let done = env.notification()?;
    for badged in [false, true] {
        BADGED.store(Word::from(badged), Ordering::SeqCst);
        let ep = env.endpoint()?;
        let fault_ep = if badged { env.mint(ep, CapRights::all(), EXPECTED_BADGE)? } else { ep };
        let (mut f, mut h) = (env.process(init_thread::ASID_POOL)?, env.process(init_thread::ASID_POOL)?);
        let f_done = env.give(&mut f, done)?;
        let (h_ep, h_done) = (env.give(&mut h, fault_ep)?, env.give(&mut h, done)?);
        for restart in [false, true] {
            RESTART.store(Word::from(restart), Ordering::SeqCst);
            for priority in HANDLER - 1..=HANDLER + 1 {
                FINISHED.store(0, Ordering::SeqCst);
                FAULTER_SAW.store(0, Ordering::SeqCst);
                HANDLER_FAILED_AT.store(0, Ordering::SeqCst);
                let t = env.process_thread(&mut f, faulter, f_done.bits(), priority, Some(fault_ep), false)?;
                let h_tcb = env.give(&mut h, t.tcb)?;
                let arg = h_ep.bits() | h_tcb.bits() << 21 | h_done.bits() << 42;
                env.process_thread(&mut h, handler, arg, HANDLER, None, true)?;
                t.resume()?;
                // The faulter finishes too only when restarted.
                while FINISHED.load(Ordering::SeqCst) < 1 + Word::from(restart) {
                    done.wait();
                }
                let failed_at = HANDLER_FAILED_AT.load(Ordering::SeqCst);
                check!(failed_at == 0, "the handler's check at interas.rs:{} failed (badged {}, restart {}, faulter priority {})", failed_at, badged, restart, priority);
                if restart {
                    check_eq!(FAULTER_SAW.load(Ordering::SeqCst), Word::from(GOOD_MAGIC));
                }
            }
        }
    }
    Ok(())
}

test_case!(INTERAS0006, "a read fault in one process handled from another: badged or not, restarted or left, faulter below/at/above the handler (sel4test PAGEFAULT1001)", interas0006);
fn interas0006(env: &mut Env) -> TestResult {
    faults_between_processes(env, READ)
}

test_case!(INTERAS0007, "a write fault in one process handled from another, in the same cases (sel4test PAGEFAULT1002)", interas0007);
fn interas0007(env: &mut Env) -> TestResult {
    faults_between_processes(env, WRITE)
}

test_case!(INTERAS0008, "an instruction fault in one process handled from another, in the same cases (sel4test PAGEFAULT1003)", interas0008);
fn interas0008(env: &mut Env) -> TestResult {
    faults_between_processes(env, EXECUTE)
}

test_case!(INTERAS0009, "an unknown syscall in one process handled from another by the reply's registers, in the same cases (sel4test PAGEFAULT1004)", interas0009);
fn interas0009(env: &mut Env) -> TestResult {
    faults_between_processes(env, SYSCALL)
}
