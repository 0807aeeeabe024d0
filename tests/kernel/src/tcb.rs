//! TCB invocations: configuring a thread's spaces and writing its registers.

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sel4::cap_type::{Notification, Tcb};
use sel4::{Cap, CapData, Error, PrioProps, UserContext, Word};
use sel4_test::{check, check_eq, check_err, test_case, Env, ResultExt, TestResult};

static RAN: AtomicBool = AtomicBool::new(false);

fn mark_ran(_: Word) {
    RAN.store(true, Ordering::SeqCst);
}

/// The null cap: slot 0 of the root CNode is always empty.
const NULL: Word = 0;

test_case!(TCB0001, "Configure with a null CSpace root is IllegalOperation and changes nothing: the thread still runs (sel4test THREADS0004)", tcb0001);
fn tcb0001(env: &mut Env) -> TestResult {
    RAN.store(false, Ordering::SeqCst);
    let thread = env.thread(mark_ran, 0, 150, None, false)?;
    let configure = |cspace: Word| {
        thread.tcb.tcb_configure(0, PrioProps::new(0, 0), Cap::from_bits(cspace), CapData::none(), env.vspace.cast(), CapData::none(), 0, Cap::<Tcb>::from_bits(NULL).cptr())
    };
    check_err!(configure(NULL), Error::IllegalOperation);
    thread.resume()?;
    check!(RAN.load(Ordering::SeqCst), "the thread did not run after the failed configure");
    // The same call with a real CNode is accepted.
    configure(env.cnode.bits()).or_fail("configure with the root CNode")?;
    Ok(())
}

test_case!(TCB0002, "SetSpace with a null CSpace root is IllegalOperation and changes nothing: the thread still runs (sel4test THREADS0005)", tcb0002);
fn tcb0002(env: &mut Env) -> TestResult {
    RAN.store(false, Ordering::SeqCst);
    let thread = env.thread(mark_ran, 0, 150, None, false)?;
    let set_space = |cspace: Word| thread.tcb.tcb_set_space(0, Cap::from_bits(cspace), CapData::none(), env.vspace.cast(), CapData::none());
    check_err!(set_space(NULL), Error::IllegalOperation);
    thread.resume()?;
    check!(RAN.load(Ordering::SeqCst), "the thread did not run after the failed set_space");
    set_space(env.cnode.bits()).or_fail("set_space with the root CNode")?;
    Ok(())
}

/// What WriteRegisters puts in xN (`PROBE_BASE + N`) and sp; all fit the
/// 12-bit immediates the probe compares with.
const PROBE_BASE: Word = 0x200;
const PROBE_SP: Word = 0x7f0;
/// Set by the probe: 0 if every register held its value, else 1 + the first
/// wrong register's number (32 for sp).
static PROBE_RESULT: AtomicU64 = AtomicU64::new(u64::MAX);
static PROBE_DONE: AtomicU64 = AtomicU64::new(0);
static PROBE_TCB: AtomicU64 = AtomicU64::new(0);

/// Stack for `probe_report` (the probe starts with a made-up sp).
#[repr(C, align(16))]
struct Stack([u8; 4096]);
static mut PROBE_STACK: Stack = Stack([0; 4096]);

extern "C" fn probe_report(result: Word) -> ! {
    PROBE_RESULT.store(result, Ordering::SeqCst);
    Cap::<Notification>::from_bits(PROBE_DONE.load(Ordering::SeqCst)).signal();
    let _ = Cap::<Tcb>::from_bits(PROBE_TCB.load(Ordering::SeqCst)).tcb_suspend();
    loop {
        sel4::r#yield();
    }
}

// The probe: compares sp and x0..x30 with what the test wrote, then moves
// to a real stack and reports.
global_asm!(
    ".global kernel_suite_register_probe",
    "kernel_suite_register_probe:",
    "cmp sp, #{sp}",
    "b.eq 1f",
    "mov x0, #32",
    "b 2f",
    "1:",
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30",
    "cmp x\\n, #({base} + \\n)",
    "b.eq 1f",
    "mov x0, #(\\n + 1)",
    "b 2f",
    "1:",
    ".endr",
    "mov x0, #0",
    "2:",
    "adrp x1, {stack}",
    "add x1, x1, :lo12:{stack}",
    "add x1, x1, #4096",
    "mov sp, x1",
    "b {report}",
    sp = const PROBE_SP,
    base = const PROBE_BASE,
    stack = sym PROBE_STACK,
    report = sym probe_report,
);

extern "C" {
    fn kernel_suite_register_probe();
}

test_case!(TCB0003, "WriteRegisters (resuming the thread) sets every one of x0..x30, sp and pc as given (sel4test REGRESSIONS0001)", tcb0003);
fn tcb0003(env: &mut Env) -> TestResult {
    PROBE_RESULT.store(u64::MAX, Ordering::SeqCst);
    let done = env.notification()?;
    PROBE_DONE.store(done.bits(), Ordering::SeqCst);
    let thread = env.thread(mark_ran, 0, 150, None, false)?;
    PROBE_TCB.store(thread.tcb.bits(), Ordering::SeqCst);
    let x = |n: Word| PROBE_BASE + n;
    let regs = UserContext {
        pc: kernel_suite_register_probe as *const () as Word,
        sp: PROBE_SP,
        x0: x(0), x1: x(1), x2: x(2), x3: x(3), x4: x(4), x5: x(5), x6: x(6), x7: x(7),
        x8: x(8), x9: x(9), x10: x(10), x11: x(11), x12: x(12), x13: x(13), x14: x(14), x15: x(15),
        x16: x(16), x17: x(17), x18: x(18), x19: x(19), x20: x(20), x21: x(21), x22: x(22), x23: x(23),
        x24: x(24), x25: x(25), x26: x(26), x27: x(27), x28: x(28), x29: x(29), x30: x(30),
        ..Default::default()
    };
    thread.tcb.tcb_write_registers(true, 0, sel4::sys::USER_CONTEXT_WORDS as Word, &regs).or_fail("write registers")?;
    done.wait();
    check_eq!(PROBE_RESULT.load(Ordering::SeqCst), 0);
    Ok(())
}
