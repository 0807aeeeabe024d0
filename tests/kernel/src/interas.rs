//! Threads in other address spaces: processes (a VSpace and a CSpace of the
//! test's own, see `Env::process`) running this program's code.

use sel4::cap_type::Endpoint;
use sel4::{init_thread, Cap, MessageInfo, Word};
use sel4_test::{check_eq, test_case, Env, TestResult};

use crate::fault::{self, handled_faults};
use crate::ipc_pairs::{self, Space};

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

// sel4test's IPC1001-IPC1004: the pairs of IPC0001-IPC0004, each side in a
// process of its own (see ipc_pairs.rs).

test_case!(INTERAS0002, "send + recv between two processes, every length 0..=120, the sender 2 below to 2 above the receiver, each started first (sel4test IPC1001)", interas0002);
fn interas0002(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::sender, ipc_pairs::receiver, Space::Separate)
}

test_case!(INTERAS0003, "call + reply_recv between two processes, every length, priority order and start order (sel4test IPC1002)", interas0003);
fn interas0003(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::caller, ipc_pairs::server_reply_recv, Space::Separate)
}

test_case!(INTERAS0004, "call + reply, then recv, between two processes, every length, priority order and start order (sel4test IPC1003)", interas0004);
fn interas0004(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::caller, ipc_pairs::server_reply_then_recv, Space::Separate)
}

test_case!(INTERAS0005, "nb_send + recv between two processes: a receiver above the sender gets every length, one below none (sel4test IPC1004)", interas0005);
fn interas0005(env: &mut Env) -> TestResult {
    ipc_pairs::run(env, ipc_pairs::nb_sender, ipc_pairs::nb_receiver, Space::Separate)
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
