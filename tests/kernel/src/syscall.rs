//! Each basic syscall leaves every register it does not return a result in
//! as it was. An asm block loads x0..x30 with known values (the syscall's
//! own arguments in x0, x1, x7 and the message registers x2..x5), makes the
//! syscall, and records x0..x30 and sp; each test runs its syscall ten times
//! and compares every register with what 5.0.0 returns in it.

use core::arch::asm;

use sel4::sys::syscall;
use sel4::{with_ipc_buffer, CapRights, Error, Fault, MessageInfo, Word};
use sel4_test::{check, check_eq, test_case, Env, Failure, TestResult};

/// Rounds per test.
const ROUNDS: usize = 10;

/// What an svc left behind: x0..x30, sp after it and sp before it.
type After = [Word; 33];
const SP_AFTER: usize = 31;
const SP_BEFORE: usize = 32;

/// Loads x0..x30 from `input`, makes the syscall whose number is in x7, and
/// returns the registers afterwards.
fn svc(input: &[Word; 31]) -> After {
    let mut after: After = [0; 33];
    // SAFETY: x18, x19, x29 and x30 (not usable as operands) are saved on the
    // stack and restored; every other register is declared clobbered. The
    // block reads `input` and writes `after`, both live for its duration.
    unsafe {
        asm!(
            "stp x29, x30, [sp, #-16]!",
            "stp x18, x19, [sp, #-16]!",
            "sub sp, sp, #16",
            "mov x11, sp",
            "stp x10, x11, [sp]",
            "ldp x0, x1, [x9, #0]",
            "ldp x2, x3, [x9, #16]",
            "ldp x4, x5, [x9, #32]",
            "ldp x6, x7, [x9, #48]",
            "ldr x8, [x9, #64]",
            "ldp x10, x11, [x9, #80]",
            "ldp x12, x13, [x9, #96]",
            "ldp x14, x15, [x9, #112]",
            "ldp x16, x17, [x9, #128]",
            "ldp x18, x19, [x9, #144]",
            "ldp x20, x21, [x9, #160]",
            "ldp x22, x23, [x9, #176]",
            "ldp x24, x25, [x9, #192]",
            "ldp x26, x27, [x9, #208]",
            "ldp x28, x29, [x9, #224]",
            "ldr x30, [x9, #240]",
            "ldr x9, [x9, #72]",
            "svc #0",
            // Park x30 to free it for the address of `after`.
            "str x30, [sp, #-16]!",
            "ldr x30, [sp, #16]",
            "stp x0, x1, [x30, #0]",
            "stp x2, x3, [x30, #16]",
            "stp x4, x5, [x30, #32]",
            "stp x6, x7, [x30, #48]",
            "stp x8, x9, [x30, #64]",
            "stp x10, x11, [x30, #80]",
            "stp x12, x13, [x30, #96]",
            "stp x14, x15, [x30, #112]",
            "stp x16, x17, [x30, #128]",
            "stp x18, x19, [x30, #144]",
            "stp x20, x21, [x30, #160]",
            "stp x22, x23, [x30, #176]",
            "stp x24, x25, [x30, #192]",
            "stp x26, x27, [x30, #208]",
            "stp x28, x29, [x30, #224]",
            "ldr x0, [sp], #16",
            "str x0, [x30, #240]",
            "mov x0, sp",
            "ldr x1, [sp, #8]",
            "stp x0, x1, [x30, #248]",
            "add sp, sp, #16",
            "ldp x18, x19, [sp], #16",
            "ldp x29, x30, [sp], #16",
            inout("x9") input.as_ptr() => _,
            inout("x10") after.as_mut_ptr() => _,
            out("x0") _, out("x1") _, out("x2") _, out("x3") _, out("x4") _, out("x5") _,
            out("x6") _, out("x7") _, out("x8") _, out("x11") _, out("x12") _, out("x13") _,
            out("x14") _, out("x15") _, out("x16") _, out("x17") _, out("x20") _, out("x21") _,
            out("x22") _, out("x23") _, out("x24") _, out("x25") _, out("x26") _, out("x27") _,
            out("x28") _,
        );
    }
    after
}

/// A syscall as made: its number, x0 (cap or argument), the tag and the four
/// message registers.
struct Syscall {
    number: i64,
    x0: Word,
    info: MessageInfo,
    mrs: [Word; 4],
}

/// The values x6 and x8..x30 start with (x7 holds the syscall number).
fn filler(reg: usize) -> Word {
    0xc0de_5afe_0000_0000 | ((reg as Word) << 4) | 0x7
}

/// Makes `call` ROUNDS times (`before` runs before each); fails unless every
/// register but those in `results` (register, value) keeps its value, and
/// those hold the value given.
fn check_registers(call: &Syscall, results: &[(usize, Word)], before: &dyn Fn()) -> TestResult {
    for round in 0..ROUNDS {
        before();
        check_round(round, call, results)?;
    }
    Ok(())
}

/// Makes `call` once and checks the registers as `check_registers` does.
fn check_round(round: usize, call: &Syscall, results: &[(usize, Word)]) -> TestResult {
    let mut input: [Word; 31] = core::array::from_fn(filler);
    input[0] = call.x0;
    input[1] = call.info.into_word();
    input[2..6].copy_from_slice(&call.mrs);
    input[7] = call.number as Word;
    let after = svc(&input);
    for (reg, &value) in after[..31].iter().enumerate() {
        let expected = results.iter().find(|(r, _)| *r == reg).map_or(input[reg], |&(_, v)| v);
        check!(value == expected, "round {}: x{} = {:#x} after the syscall, expected {:#x}", round, reg, value, expected);
    }
    check_eq!(after[SP_AFTER], after[SP_BEFORE]);
    Ok(())
}

/// The first four message words of the IPC buffer, which libsel4's plain
/// (not *WithMRs) wrappers load into x2..x5; filled with known values first.
fn buffer_mrs() -> [Word; 4] {
    with_ipc_buffer(|b| {
        for (i, w) in b.msg[..4].iter_mut().enumerate() {
            *w = 0x3e55_a6e0 + i as Word;
        }
        [b.msg[0], b.msg[1], b.msg[2], b.msg[3]]
    })
}

/// The *WithMRs wrappers pass the message registers as arguments; sel4test passes zeros.
const ARG_MRS: [Word; 4] = [0; 4];

fn empty() -> MessageInfo {
    MessageInfo::new(0, 0, 0, 0)
}

fn nothing() {}

/// A send-type syscall invoking the root CNode with label 0 (as sel4test
/// does): decoding fails, and without a reply nothing is written back.
fn to_cnode(env: &Env, number: i64, mrs: [Word; 4]) -> Syscall {
    Syscall { number, x0: env.cnode.bits(), info: empty(), mrs }
}

test_case!(SYSCALL0000, "Yield leaves x0..x30 and sp as they were, ten times (sel4test SYSCALL0000)", syscall0000);
fn syscall0000(_env: &mut Env) -> TestResult {
    let call = Syscall { number: syscall::YIELD, x0: filler(0), info: MessageInfo::from_word(filler(1)), mrs: buffer_mrs() };
    check_registers(&call, &[], &nothing)
}

test_case!(SYSCALL0001, "Send (to the root CNode, label 0) leaves every register as it was, ten times (sel4test SYSCALL0001)", syscall0001);
fn syscall0001(env: &mut Env) -> TestResult {
    check_registers(&to_cnode(env, syscall::SEND, buffer_mrs()), &[], &nothing)
}

test_case!(SYSCALL0002, "NBSend (to the root CNode, label 0) leaves every register as it was, ten times (sel4test SYSCALL0002)", syscall0002);
fn syscall0002(env: &mut Env) -> TestResult {
    check_registers(&to_cnode(env, syscall::NB_SEND, buffer_mrs()), &[], &nothing)
}

test_case!(SYSCALL0003, "Reply with no caller leaves every register as it was, ten times (sel4test SYSCALL0003)", syscall0003);
fn syscall0003(_env: &mut Env) -> TestResult {
    let call = Syscall { number: syscall::REPLY, x0: 0, info: empty(), mrs: buffer_mrs() };
    check_registers(&call, &[], &nothing)
}

test_case!(SYSCALL0004, "Signal (a Send, to the root CNode as in sel4test) leaves every register as it was, ten times (sel4test SYSCALL0004)", syscall0004);
fn syscall0004(env: &mut Env) -> TestResult {
    // seL4_Signal is Send with an empty tag; its message registers are not loaded.
    check_registers(&to_cnode(env, syscall::SEND, [filler(2), filler(3), filler(4), filler(5)]), &[], &nothing)
}

/// A Call the root CNode refuses: x0 becomes 0 and x1 the error's tag; no
/// message words (IllegalOperation has none).
fn refused_call() -> [(usize, Word); 2] {
    [(0, 0), (1, MessageInfo::new(Error::IllegalOperation as Word, 0, 0, 0).into_word())]
}

test_case!(SYSCALL0005, "Call (to the root CNode, label 0) returns IllegalOperation in x0/x1 and leaves x2..x30 and sp, ten times (sel4test SYSCALL0005)", syscall0005);
fn syscall0005(env: &mut Env) -> TestResult {
    check_registers(&to_cnode(env, syscall::CALL, buffer_mrs()), &refused_call(), &nothing)
}

/// DebugPutChar's and DebugHalt's numbers on a debug kernel: syscall.xml
/// numbers the debug syscalls on from the API ones, these two first.
pub(crate) const DEBUG_PUT_CHAR: i64 = syscall::NB_RECV - 1;
pub(crate) const DEBUG_HALT: i64 = syscall::NB_RECV - 2;

const PUT_CHARS: &[u8; ROUNDS] = b"putchar 6\n";

/// Makes DebugPutChar(' ') once.
fn put_char_thread(_: Word) {
    let mut input: [Word; 31] = core::array::from_fn(filler);
    input[0] = Word::from(b' ');
    input[7] = DEBUG_PUT_CHAR as Word;
    svc(&input);
}

test_case!(SYSCALL0006, "DebugPutChar leaves every register as it was, ten times, on a debug kernel (sel4test SYSCALL0006); a release kernel has no such syscall and reports an unknown-syscall fault with its number", syscall0006);
fn syscall0006(env: &mut Env) -> TestResult {
    if sel4::DEBUG_BUILD {
        // Ten characters that make a line of their own in the suite's log.
        for (round, &c) in PUT_CHARS.iter().enumerate() {
            check_round(round, &Syscall { number: DEBUG_PUT_CHAR, x0: Word::from(c), info: empty(), mrs: [0; 4] }, &[])?;
        }
        return Ok(());
    }
    let fault_ep = env.endpoint()?;
    env.thread(put_char_thread, 0, 150, Some(fault_ep), true)?;
    let (info, _) = fault_ep.nb_recv();
    match Fault::decode(info) {
        Fault::UnknownSyscall { syscall, x, .. } => {
            check_eq!(syscall, DEBUG_PUT_CHAR as Word);
            check_eq!(x[0], Word::from(b' '));
        }
        other => return Err(Failure::new(format_args!("expected an unknown-syscall fault, got {other}"))),
    }
    Ok(())
}

/// A receive on a notification signalled just before, through a cap with
/// this badge: x0 returns it, nothing else is written.
const BADGE: Word = 0x2b;

/// Runs a receive-type syscall on a notification signalled before each round.
fn check_receive(env: &mut Env, number: i64, mrs: [Word; 4]) -> TestResult {
    let ntfn = env.notification()?;
    let badged = env.mint(ntfn, CapRights::all(), BADGE)?;
    let call = Syscall { number, x0: ntfn.bits(), info: empty(), mrs };
    check_registers(&call, &[(0, BADGE)], &|| badged.signal())
}

test_case!(SYSCALL0010, "Recv on a signalled notification returns the badge in x0 and leaves x1..x30 and sp, ten times (sel4test SYSCALL0010)", syscall0010);
fn syscall0010(env: &mut Env) -> TestResult {
    check_receive(env, syscall::RECV, [filler(2), filler(3), filler(4), filler(5)])
}

test_case!(SYSCALL0011, "ReplyRecv (no caller) on a signalled notification returns the badge in x0 and leaves x1..x30 and sp, ten times (sel4test SYSCALL0011)", syscall0011);
fn syscall0011(env: &mut Env) -> TestResult {
    check_receive(env, syscall::REPLY_RECV, buffer_mrs())
}

test_case!(SYSCALL0012, "NBRecv on a signalled notification returns the badge in x0 and leaves x1..x30 and sp, ten times (sel4test SYSCALL0012)", syscall0012);
fn syscall0012(env: &mut Env) -> TestResult {
    check_receive(env, syscall::NB_RECV, [filler(2), filler(3), filler(4), filler(5)])
}

test_case!(SYSCALL0013, "Wait (Recv on a notification, in 5.0.0) returns the badge in x0 and leaves x1..x30 and sp, ten times (sel4test SYSCALL0013)", syscall0013);
fn syscall0013(env: &mut Env) -> TestResult {
    check_receive(env, syscall::RECV, [filler(2), filler(3), filler(4), filler(5)])
}

test_case!(SYSCALL0014, "SendWithMRs (root CNode, zero message registers) leaves every register as it was, ten times (sel4test SYSCALL0014)", syscall0014);
fn syscall0014(env: &mut Env) -> TestResult {
    check_registers(&to_cnode(env, syscall::SEND, ARG_MRS), &[], &nothing)
}

test_case!(SYSCALL0015, "NBSendWithMRs (root CNode, zero message registers) leaves every register as it was, ten times (sel4test SYSCALL0015)", syscall0015);
fn syscall0015(env: &mut Env) -> TestResult {
    check_registers(&to_cnode(env, syscall::NB_SEND, ARG_MRS), &[], &nothing)
}

test_case!(SYSCALL0016, "ReplyWithMRs with no caller leaves every register as it was, ten times (sel4test SYSCALL0016)", syscall0016);
fn syscall0016(_env: &mut Env) -> TestResult {
    let call = Syscall { number: syscall::REPLY, x0: filler(0), info: empty(), mrs: ARG_MRS };
    check_registers(&call, &[], &nothing)
}

test_case!(SYSCALL0017, "CallWithMRs (root CNode, label 0) returns IllegalOperation in x0/x1 and leaves x2..x30 and sp, ten times (sel4test SYSCALL0017)", syscall0017);
fn syscall0017(env: &mut Env) -> TestResult {
    check_registers(&to_cnode(env, syscall::CALL, ARG_MRS), &refused_call(), &nothing)
}
