//! Threads in other address spaces: processes (a VSpace and a CSpace of the
//! test's own, see `Env::process`) running this program's code.

use sel4::cap_type::Endpoint;
use sel4::{init_thread, Cap, MessageInfo, Word};
use sel4_test::{check_eq, test_case, Env, TestResult};

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
