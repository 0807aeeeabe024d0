//! The shell's conclave host (`conclave launch NAME`): attached to conclave
//! NAME by the shell's spawn, it launches it, makes one call of its demo
//! service, and then waits for the conclave's events, saying what happens
//! to it, until the shell stops the conclave and ends it.
#![no_std]
#![no_main]

use libsystem::{exclaves, println, Args};
use tightbeam::conclave::Control;
use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request, MESSAGE_BYTES};

libsystem::entry!(main);

/// The conclave's events (its NOTIFICATION): a crash is bit 0.
const CRASH_EVENT: u64 = 1 << tightbeam::conclave::EVENT_CRASHED;

fn main(args: Args) -> i32 {
    let name = args.get(1).unwrap_or("?");
    if let Err(e) = exclaves::launch_conclave() {
        println!("conclavehost: {name} did not launch (kern_return {:#x})", e.0);
        return 1;
    }
    let mut m = [0u8; MESSAGE_BYTES];
    let served = encode_request(&Request::DemoCount(Control), &mut m).is_ok()
        && exclaves::lookup("demo").and_then(|id| exclaves::endpoint_call(id, &mut m)).is_ok();
    let calls = Received::copy_from(&m).ok().and_then(|r| match decode_reply(&r, MethodId::DemoCount) {
        Ok(Ok(Reply::Served(s))) if served => Some(s.calls),
        _ => None,
    });
    match calls {
        Some(n) => println!("conclavehost: {name} running; its demo service answered call {n}"),
        None => println!("conclavehost: {name} running; its demo service did not answer"),
    }
    let Ok(events) = exclaves::notification_lookup("events") else {
        println!("conclavehost: {name} has no events to wait for");
        return 0;
    };
    loop {
        if let Ok(bits) = exclaves::notification_wait(events, !0, u64::MAX) {
            if bits & CRASH_EVENT != 0 {
                println!("conclavehost: {name} crashed");
            }
        }
    }
}
