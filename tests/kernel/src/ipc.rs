//! IPC: send/receive, call/reply, message words and badges.

use sel4::{with_ipc_buffer, CapRights, MessageInfo, Word};
use sel4_test::{check_eq, test_case, Env, TestResult};

/// Receives one message on the endpoint in `arg` and echoes it back, words
/// doubled, as the reply.
fn doubling_server(arg: Word) {
    let ep = sel4::Cap::<sel4::cap_type::Endpoint>::from_bits(arg);
    let (info, _) = ep.recv();
    with_ipc_buffer(|b| {
        for w in &mut b.msg[..info.length()] {
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

