//! Fault delivery: VM faults, cap faults, unknown syscalls, user exceptions, resuming.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{Endpoint, Notification, Tcb};
use sel4::{init_thread, Cap, CapRights, Fault, MessageInfo, ObjectType, VmAttributes, Word};
use sel4_test::{check, check_eq, test_case, Env, Failure, ResultExt, TestResult};

/// What the faulting thread did after being resumed.
static RESULT: AtomicU64 = AtomicU64::new(0);

/// Starts `entry(arg)` at priority 150 with a fresh fault endpoint, which it
/// returns. The thread runs (and faults) before this returns.
fn faulting_thread(env: &mut Env, entry: fn(Word), arg: Word) -> Result<Cap<Endpoint>, Failure> {
    RESULT.store(0, Ordering::SeqCst);
    let ep = env.endpoint()?;
    env.thread(entry, arg, 150, Some(ep), true)?;
    Ok(ep)
}

/// Bit of a data abort's ESR saying the access was a write (ISS.WnR).
pub(crate) const ESR_WNR: Word = 1 << 6;

fn reader(addr: Word) {
    // SAFETY: `addr` is unmapped until the fault handler maps a frame there.
    RESULT.store(unsafe { (addr as *const Word).read_volatile() }, Ordering::SeqCst);
}

fn writer(addr: Word) {
    // SAFETY: as in `reader`.
    unsafe { (addr as *mut Word).write_volatile(0x5eed) };
    RESULT.store(1, Ordering::SeqCst);
}

/// Maps a fresh frame at `vaddr` and returns it.
fn map_at(env: &mut Env, vaddr: Word, rights: CapRights) -> Result<Cap<sel4::cap_type::Page>, Failure> {
    let frame = env.create(ObjectType::SmallPage, 0)?;
    env.map(frame, vaddr, rights, VmAttributes::DEFAULT)?;
    Ok(frame)
}

test_case!(FAULT0001, "a read of an unmapped page faults with its address (data); mapping it and replying resumes the read", fault0001);
fn fault0001(env: &mut Env) -> TestResult {
    let addr = env.reserve_pages(1)? + 0x18;
    let ep = faulting_thread(env, reader, addr)?;
    let (info, _) = ep.recv();
    match Fault::decode(info) {
        Fault::VmFault { addr: a, prefetch, fsr, .. } => {
            check_eq!(a, addr);
            check!(!prefetch, "a data read reported as an instruction fetch");
            check_eq!(fsr & ESR_WNR, 0);
        }
        other => check!(false, "expected a VM fault, got {}", other),
    }
    map_at(env, addr & !0xfff, CapRights::read_write())?;
    // SAFETY: just mapped read-write.
    unsafe { (addr as *mut Word).write_volatile(42) };
    sel4::reply(MessageInfo::new(0, 0, 0, 0));
    check_eq!(RESULT.load(Ordering::SeqCst), 42);
    Ok(())
}

test_case!(FAULT0002, "a write to an unmapped page faults with its address and the write bit; after mapping, the write completes", fault0002);
fn fault0002(env: &mut Env) -> TestResult {
    let addr = env.reserve_pages(1)? + 0x100;
    let ep = faulting_thread(env, writer, addr)?;
    let (info, _) = ep.recv();
    match Fault::decode(info) {
        Fault::VmFault { addr: a, prefetch, fsr, .. } => {
            check_eq!(a, addr);
            check!(!prefetch, "a data write reported as an instruction fetch");
            check_eq!(fsr & ESR_WNR, ESR_WNR);
        }
        other => check!(false, "expected a VM fault, got {}", other),
    }
    map_at(env, addr & !0xfff, CapRights::read_write())?;
    sel4::reply(MessageInfo::new(0, 0, 0, 0));
    check_eq!(RESULT.load(Ordering::SeqCst), 1);
    // SAFETY: mapped above.
    check_eq!(unsafe { (addr as *const Word).read_volatile() }, 0x5eed);
    Ok(())
}

/// Calls code at `addr` (unmapped at first) and records what it returns.
fn jumper(addr: Word) {
    // SAFETY: the handler maps code there that returns a value per the C ABI.
    let f = unsafe { core::mem::transmute::<usize, extern "C" fn() -> Word>(addr as usize) };
    RESULT.store(f(), Ordering::SeqCst);
}

/// `movz x0, #0x1234` then `ret`.
const RETURN_0X1234: [u32; 2] = [0xd280_0000 | (0x1234 << 5), 0xd65f_03c0];

test_case!(FAULT0003, "a jump to an unmapped page faults as an instruction fetch at it; mapping code there and replying runs it", fault0003);
fn fault0003(env: &mut Env) -> TestResult {
    let addr = env.reserve_pages(1)?;
    let ep = faulting_thread(env, jumper, addr)?;
    let (info, _) = ep.recv();
    match Fault::decode(info) {
        Fault::VmFault { ip, addr: a, prefetch, .. } => {
            check_eq!(a, addr);
            check_eq!(ip, addr);
            check!(prefetch, "an instruction fetch reported as a data access");
        }
        other => check!(false, "expected a VM fault, got {}", other),
    }
    // Write the code through a writable mapping, make it visible to
    // instruction fetch (clean to the point of unification, invalidate the
    // I-cache), then map a copy of the frame cap (a frame cap maps once)
    // read-only and executable at `addr`.
    let staging = env.new_frame()?;
    // SAFETY: `staging` is mapped read-write and a page long.
    unsafe { staging.ptr::<[u32; 2]>().write_volatile(RETURN_0X1234) };
    let code_len = core::mem::size_of_val(&RETURN_0X1234) as Word;
    staging.cap.page_unify_instruction(0, code_len).or_fail("unify caches over the code")?;
    let code = env.alloc_slot()?;
    env.cnode.cnode_copy(code, 64, env.cnode, staging.cap.bits(), 64, CapRights::all()).or_fail("copy frame cap")?;
    env.map(Cap::from_bits(code), addr, CapRights::read_only(), VmAttributes::DEFAULT)?;
    sel4::reply(MessageInfo::new(0, 0, 0, 0));
    check_eq!(RESULT.load(Ordering::SeqCst), 0x1234);
    Ok(())
}

/// Waits on the notification at cptr `arg`, which starts out empty, and
/// records the badge.
fn wait_on_empty_slot(arg: Word) {
    RESULT.store(Cap::<Notification>::from_bits(arg).wait(), Ordering::SeqCst);
}

test_case!(FAULT0004, "a wait on an empty slot is a cap fault (receive phase) at it; filling the slot and replying retries the wait", fault0004);
fn fault0004(env: &mut Env) -> TestResult {
    let slot = env.alloc_slot()?;
    let ep = faulting_thread(env, wait_on_empty_slot, slot)?;
    let (info, _) = ep.recv();
    match Fault::decode(info) {
        Fault::CapFault { addr, in_recv_phase, .. } => {
            check_eq!(addr, slot);
            check!(in_recv_phase, "a failed wait reported in the send phase");
        }
        other => check!(false, "expected a cap fault, got {}", other),
    }
    let ntfn = env.notification()?;
    env.cnode
        .cnode_mint(slot, 64, env.cnode, ntfn.bits(), 64, CapRights::all(), sel4::CapData::badge(0x99))
        .or_fail("fill the slot")?;
    Cap::<Notification>::from_bits(slot).signal();
    sel4::reply(MessageInfo::new(0, 0, 0, 0));
    check_eq!(RESULT.load(Ordering::SeqCst), 0x99);
    Ok(())
}

/// Sends on a cptr that does not resolve (set bits above the root CNode's
/// guard); sending on a resolvable but empty slot is only an invocation error.
fn send_unresolvable(_: Word) {
    Cap::<Endpoint>::from_bits(UNRESOLVABLE).send(MessageInfo::new(0, 0, 0, 0));
    RESULT.store(1, Ordering::SeqCst);
}

const UNRESOLVABLE: Word = 1 << 63;
/// `seL4_GuardMismatch` of `seL4_LookupFailureType`.
const GUARD_MISMATCH: Word = 4;

test_case!(FAULT0009, "a send on a cptr that fails to resolve is a cap fault (send phase, guard mismatch) at that cptr", fault0009);
fn fault0009(env: &mut Env) -> TestResult {
    let ep = faulting_thread(env, send_unresolvable, 0)?;
    let (info, _) = ep.recv();
    match Fault::decode(info) {
        Fault::CapFault { addr, in_recv_phase, lookup_failure_type, .. } => {
            check_eq!(addr, UNRESOLVABLE);
            check!(!in_recv_phase, "a failed send reported in the receive phase");
            check_eq!(lookup_failure_type, GUARD_MISMATCH);
        }
        other => check!(false, "expected a cap fault, got {}", other),
    }
    // Not replied to: a reply would only retry the send and fault again.
    check_eq!(RESULT.load(Ordering::SeqCst), 0);
    Ok(())
}

/// Receives on the endpoint cptr `arg`.
fn receiver(arg: Word) {
    Cap::<Endpoint>::from_bits(arg).recv();
    RESULT.store(1, Ordering::SeqCst);
}

test_case!(FAULT0005, "recv through an endpoint cap without read is a cap fault in the receive phase", fault0005);
fn fault0005(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    let write_only = env.mint(ep, CapRights::write_only(), 0)?;
    let fault_ep = faulting_thread(env, receiver, write_only.bits())?;
    let (info, _) = fault_ep.recv();
    match Fault::decode(info) {
        Fault::CapFault { addr, in_recv_phase, .. } => {
            check_eq!(addr, write_only.bits());
            check!(in_recv_phase, "a failed receive reported in the send phase");
        }
        other => check!(false, "expected a cap fault, got {}", other),
    }
    check_eq!(RESULT.load(Ordering::SeqCst), 0);
    Ok(())
}

/// Not an seL4 syscall number (those are negative).
const BOGUS_SYSCALL: Word = 0x42;

/// Where `bogus_syscaller`'s `svc` is.
static SVC_ADDR: AtomicU64 = AtomicU64::new(0);

/// Makes syscall `BOGUS_SYSCALL` with x0..x6 = 10..16 and records x0 after.
fn bogus_syscaller(_: Word) {
    let mut x0: Word = 10;
    let svc: Word;
    // SAFETY: the kernel turns the syscall into a fault; the handler's reply
    // may rewrite x0..x7, declared clobbered here.
    unsafe {
        asm!("adr {svc}, 2f", "2: svc #0", svc = out(reg) svc,
            inout("x0") x0, inout("x1") 11 => _, inout("x2") 12 => _, inout("x3") 13 => _,
            inout("x4") 14 => _, inout("x5") 15 => _, inout("x6") 16 => _, inout("x7") BOGUS_SYSCALL => _,
            options(nostack));
    }
    SVC_ADDR.store(svc, Ordering::SeqCst);
    RESULT.store(x0, Ordering::SeqCst);
}

test_case!(FAULT0006, "an unknown syscall reaches the handler with its number and x0..x7; at its svc; the reply sets x0 and resumes after it", fault0006);
fn fault0006(env: &mut Env) -> TestResult {
    let ep = faulting_thread(env, bogus_syscaller, 0)?;
    let (info, _) = ep.recv();
    let Fault::UnknownSyscall { ip, sp, lr, spsr, syscall, x } = Fault::decode(info) else {
        return Err(Failure::new(format_args!("expected an unknown-syscall fault, got {}", Fault::decode(info))));
    };
    check_eq!(syscall, BOGUS_SYSCALL);
    check_eq!(x, [10, 11, 12, 13, 14, 15, 16, BOGUS_SYSCALL]);
    check_eq!(RESULT.load(Ordering::SeqCst), 0);
    // Reply words are x0..x7, then pc, sp, lr, spsr: skip the svc, x0 = 1010.
    let regs = [1010, 11, 12, 13, 14, 15, 16, BOGUS_SYSCALL, ip + 4, sp, lr, spsr];
    sel4::with_ipc_buffer(|b| b.msg[..regs.len()].copy_from_slice(&regs));
    sel4::reply(MessageInfo::new(0, 0, 0, regs.len() as Word));
    check_eq!(RESULT.load(Ordering::SeqCst), 1010);
    // The fault named the svc itself, so ip + 4 was the instruction after it.
    check_eq!(SVC_ADDR.load(Ordering::SeqCst), ip);
    Ok(())
}

/// Executes an undefined instruction, then records its address.
fn undefined_instruction(_: Word) {
    let addr: Word;
    // SAFETY: `udf` traps; the handler resumes after it.
    unsafe { asm!("adr {0}, 2f", "2: udf #0", out(reg) addr, options(nostack)) };
    RESULT.store(addr, Ordering::SeqCst);
}

test_case!(FAULT0007, "an undefined instruction is a user exception at its address; replying with pc+4 resumes after it", fault0007);
fn fault0007(env: &mut Env) -> TestResult {
    let ep = faulting_thread(env, undefined_instruction, 0)?;
    let (info, _) = ep.recv();
    let Fault::UserException { ip, sp, spsr, number, code } = Fault::decode(info) else {
        return Err(Failure::new(format_args!("expected a user exception, got {}", Fault::decode(info))));
    };
    // 5.0.0 reports every undefined instruction on ARM as number 0, code 0.
    check_eq!((number, code), (0, 0));
    check_eq!(RESULT.load(Ordering::SeqCst), 0);
    let regs = [ip + 4, sp, spsr];
    sel4::with_ipc_buffer(|b| b.msg[..regs.len()].copy_from_slice(&regs));
    sel4::reply(MessageInfo::new(0, 0, 0, regs.len() as Word));
    check_eq!(RESULT.load(Ordering::SeqCst), ip);
    Ok(())
}

/// Counts how many times it gets past the unknown syscall.
fn counting_syscaller(_: Word) {
    // SAFETY: as in `bogus_syscaller`; nothing is passed.
    unsafe { asm!("svc #0", inout("x7") BOGUS_SYSCALL => _, out("x0") _, out("x1") _, out("x2") _,
        out("x3") _, out("x4") _, out("x5") _, out("x6") _, options(nostack)) };
    RESULT.fetch_add(1, Ordering::SeqCst);
}

test_case!(FAULT0008, "a fault reply with a non-zero label leaves the thread stopped; resuming it retries the faulting syscall", fault0008);
fn fault0008(env: &mut Env) -> TestResult {
    let ep = env.endpoint()?;
    RESULT.store(0, Ordering::SeqCst);
    // Badged, so that nb_recv can tell a fault message (badge 1) from none (0).
    let badged = env.mint(ep, CapRights::all(), 1)?;
    let thread = env.thread(counting_syscaller, 0, 150, Some(badged), true)?;
    let (info, badge) = ep.recv();
    check_eq!(badge, 1);
    check!(matches!(Fault::decode(info), Fault::UnknownSyscall { .. }), "expected an unknown-syscall fault");
    sel4::reply(MessageInfo::new(1, 0, 0, 0));
    check_eq!(RESULT.load(Ordering::SeqCst), 0);
    // Nothing pending: the thread did not fault again on its own.
    check_eq!(ep.nb_recv().1, 0);
    thread.resume()?;
    let (info, badge) = ep.recv();
    check_eq!(badge, 1);
    check!(matches!(Fault::decode(info), Fault::UnknownSyscall { .. }), "expected the syscall to fault again");
    check_eq!(RESULT.load(Ordering::SeqCst), 0);
    Ok(())
}

/// Reads the counter register `arg` names: 0 the physical count, 1 the
/// virtual count, 2 the PMU cycle count.
fn counter_reader(which: Word) {
    let value: Word;
    // SAFETY: reads a system register; unless the kernel allows it, that traps (the test's point).
    unsafe {
        match which {
            0 => asm!("mrs {}, cntpct_el0", out(reg) value),
            1 => asm!("mrs {}, cntvct_el0", out(reg) value),
            _ => asm!("mrs {}, pmccntr_el0", out(reg) value),
        }
    }
    RESULT.store(value | 1, Ordering::SeqCst);
}

test_case!(FAULT0010, "EL0 reads the physical counter (for the timer driver, every build); reads of the virtual and cycle counters trap, but on a kernel built to allow them (benchmark builds); the access bits are set whole at boot", fault0010);
fn fault0010(env: &mut Env) -> TestResult {
    for which in 0..3 {
        let ep = faulting_thread(env, counter_reader, which)?;
        let (info, _) = ep.nb_recv();
        if which == 0 || cfg!(user_counters) {
            check!(matches!(Fault::decode(info), Fault::Null), "counter {} was not readable from EL0: {}", which, Fault::decode(info));
            check!(RESULT.load(Ordering::SeqCst) != 0, "counter {} read did not complete", which);
        } else {
            check!(matches!(Fault::decode(info), Fault::UserException { .. }), "counter {} was readable from EL0", which);
            check_eq!(RESULT.load(Ordering::SeqCst), 0);
        }
    }
    Ok(())
}

// sel4test's PAGEFAULT0001-0004 (and, in other processes, PAGEFAULT1001-1004):
// a thread faults (read, write, instruction fetch at an unmapped address, or
// an unknown syscall) with w0 = BAD_MAGIC; a handler thread receives the
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

pub(crate) const READ: Word = 0;
pub(crate) const WRITE: Word = 1;
pub(crate) const EXECUTE: Word = 2;
pub(crate) const SYSCALL: Word = 3;

static KIND: AtomicU64 = AtomicU64::new(0);
static BADGED: AtomicU64 = AtomicU64::new(0);
static RESTART: AtomicU64 = AtomicU64::new(0);
/// Where the faulting instruction is, and where the handler resumes it.
static FAULT_AT: AtomicU64 = AtomicU64::new(0);
static RESUME_AT: AtomicU64 = AtomicU64::new(0);
/// Threads of the current case that finished.
static FINISHED: AtomicU64 = AtomicU64::new(0);
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
/// done notification (cptrs of its CSpace, below 2^21).
fn handler(arg: Word) {
    let slot = |i: u32| (arg >> (21 * i)) & ((1 << 21) - 1);
    let failed = handle(Cap::from_bits(slot(0)), Cap::from_bits(slot(1))).err().unwrap_or(0);
    HANDLER_FAILED_AT.store(Word::from(failed), Ordering::SeqCst);
    FINISHED.fetch_add(1, Ordering::SeqCst);
    Cap::<Notification>::from_bits(slot(2)).signal();
}

/// Runs every case of fault `kind`: the two threads in the test's VSpace and
/// CSpace, or (`inter_as`) each in a process of its own.
pub(crate) fn handled_faults(env: &mut Env, kind: Word, inter_as: bool) -> TestResult {
    // Both threads below the test, as upstream has them: a faulter above the
    // handler (or level with it, resumed last) faults before the handler
    // waits, so its fault is queued; one below faults into a waiting handler.
    const HANDLER: u8 = 90;
    KIND.store(kind, Ordering::SeqCst);
    let done = env.notification()?;
    // Every thread blocked before the case finished means it is stuck.
    crate::sched::stall_alarm_on(env, done)?;
    for badged in [false, true] {
        BADGED.store(Word::from(badged), Ordering::SeqCst);
        let ep = env.endpoint()?;
        let fault_ep = if badged { env.mint(ep, CapRights::all(), EXPECTED_BADGE)? } else { ep };
        let mut processes = if inter_as { Some((env.process(init_thread::ASID_POOL)?, env.process(init_thread::ASID_POOL)?)) } else { None };
        // The caps each side names, as cptrs of its own CSpace.
        let (f_done, h_ep, h_done) = match processes.as_mut() {
            Some((f, h)) => (env.give(f, done)?, env.give(h, fault_ep)?, env.give(h, done)?),
            None => (done, fault_ep, done),
        };
        for restart in [false, true] {
            RESTART.store(Word::from(restart), Ordering::SeqCst);
            for priority in HANDLER - 1..=HANDLER + 1 {
                FINISHED.store(0, Ordering::SeqCst);
                FAULTER_SAW.store(0, Ordering::SeqCst);
                HANDLER_FAILED_AT.store(0, Ordering::SeqCst);
                let t = match processes.as_mut() {
                    Some((f, _)) => env.process_thread(f, faulter, f_done.bits(), priority, Some(fault_ep), false)?,
                    None => env.thread(faulter, f_done.bits(), priority, Some(fault_ep), false)?,
                };
                let h_tcb = match processes.as_mut() {
                    Some((_, h)) => env.give(h, t.tcb)?,
                    None => t.tcb,
                };
                let arg = h_ep.bits() | h_tcb.bits() << 21 | h_done.bits() << 42;
                match processes.as_mut() {
                    Some((_, h)) => env.process_thread(h, handler, arg, HANDLER, None, true)?,
                    None => env.thread(handler, arg, HANDLER, None, true)?,
                };
                t.resume()?;
                // The faulter finishes too only when restarted.
                while FINISHED.load(Ordering::SeqCst) < 1 + Word::from(restart) {
                    let badge = done.wait();
                    check!(badge & crate::sched::STALLED == 0, "stuck (badged {}, restart {}, faulter priority {})", badged, restart, priority);
                }
                let failed_at = HANDLER_FAILED_AT.load(Ordering::SeqCst);
                check!(failed_at == 0, "the handler's check at fault.rs:{} failed (badged {}, restart {}, faulter priority {})", failed_at, badged, restart, priority);
                if restart {
                    check_eq!(FAULTER_SAW.load(Ordering::SeqCst), Word::from(GOOD_MAGIC));
                }
            }
        }
    }
    Ok(())
}

test_case!(FAULT0011, "a read fault handled by another thread: badged or not, restarted or left, faulter below/at/above the handler (sel4test PAGEFAULT0001)", fault0011);
fn fault0011(env: &mut Env) -> TestResult {
    handled_faults(env, READ, false)
}

test_case!(FAULT0012, "a write fault handled by another thread, in the same cases (sel4test PAGEFAULT0002)", fault0012);
fn fault0012(env: &mut Env) -> TestResult {
    handled_faults(env, WRITE, false)
}

test_case!(FAULT0013, "an instruction fault handled by another thread, in the same cases (sel4test PAGEFAULT0003)", fault0013);
fn fault0013(env: &mut Env) -> TestResult {
    handled_faults(env, EXECUTE, false)
}

test_case!(FAULT0014, "an unknown syscall handled by another thread by the reply's registers, in the same cases (sel4test PAGEFAULT0004)", fault0014);
fn fault0014(env: &mut Env) -> TestResult {
    handled_faults(env, SYSCALL, false)
}

/// Makes the debug syscall `number` with x0 = '\n' (DebugPutChar then adds
/// only an empty line to the log); RESULT is 1 once it got past the svc.
fn debug_syscaller(number: Word) {
    // SAFETY: DebugPutChar reads x0 and returns; any other outcome is a
    // fault that the test never replies to. Nothing else is touched.
    unsafe { asm!("svc #0", in("x7") number, in("x0") Word::from(b'\n'), options(nostack)) };
    RESULT.store(1, Ordering::SeqCst);
}

/// Runs `debug_syscaller(number)` in a thread with maximum controlled
/// priority `mcp`; returns the fault it raised (Null: none) and whether it
/// got past its svc.
fn debug_call(env: &mut Env, number: i64, mcp: u8) -> Result<(Fault, bool), Failure> {
    RESULT.store(0, Ordering::SeqCst);
    let ep = env.endpoint()?;
    let thread = env.thread(debug_syscaller, number as Word, 150, Some(ep), false)?;
    thread.tcb.tcb_set_mc_priority(mcp).or_fail("set the thread's MCP")?;
    // Above the test: it has made its call, or faulted, when resume returns.
    thread.resume()?;
    let (info, _) = ep.nb_recv();
    Ok((Fault::decode(info), RESULT.load(Ordering::SeqCst) == 1))
}

/// Checks that `fault` is the UnknownSyscall of `debug_syscaller(number)`
/// and that the thread did not get past it.
fn check_unknown(fault: Fault, passed: bool, number: i64) -> TestResult {
    let Fault::UnknownSyscall { syscall, x, .. } = fault else {
        return Err(Failure::new(format_args!("syscall {number}: expected an unknown-syscall fault, got {fault}")));
    };
    check_eq!(syscall, number as Word);
    check_eq!(x[0], Word::from(b'\n'));
    check!(!passed, "syscall {}: the thread got past its svc", number);
    Ok(())
}

test_case!(FAULT0015, "a thread with MCP 0 gets no debug syscall: DebugPutChar and DebugHalt are UnknownSyscall faults with their number (patch 0012; stock 5.0.0's debug kernel prints for it, which is checked there, and DebugHalt is not tried); MCP 1 still prints; release kernels know neither number", fault0015);
fn fault0015(env: &mut Env) -> TestResult {
    use crate::syscall::{DEBUG_HALT, DEBUG_PUT_CHAR};
    let gated = cfg!(patch_debug_syscall_gate) || !sel4::DEBUG_BUILD;
    let (fault, passed) = debug_call(env, DEBUG_PUT_CHAR, 0)?;
    if gated {
        check_unknown(fault, passed, DEBUG_PUT_CHAR)?;
    } else {
        check!(matches!(fault, Fault::Null) && passed, "MCP 0 DebugPutChar on stock 5.0.0: {}, passed {}", fault, passed);
    }
    let (fault, passed) = debug_call(env, DEBUG_PUT_CHAR, 1)?;
    if sel4::DEBUG_BUILD {
        check!(matches!(fault, Fault::Null) && passed, "MCP 1 DebugPutChar: {}, passed {}", fault, passed);
    } else {
        check_unknown(fault, passed, DEBUG_PUT_CHAR)?;
    }
    // Only where the gate or a release kernel makes the number harmless:
    // stock 5.0.0's debug kernel would halt the machine.
    if gated {
        let (fault, passed) = debug_call(env, DEBUG_HALT, 0)?;
        check_unknown(fault, passed, DEBUG_HALT)?;
    }
    Ok(())
}
