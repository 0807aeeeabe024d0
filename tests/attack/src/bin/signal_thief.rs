//! ATTACK0008: waits on its notification cap to a peer (slot 10 + channel 0),
//! to take the signals others send that peer. The cap is write-only, so this
//! is a cap fault of its own, which the monitor reports.
#![no_std]
#![no_main]

use sel4::cap_type::Notification;
use sel4::Cap;
use sel4_microkit::{debug_println, protection_domain, Handler};

protection_domain!(init);

struct Thief;
impl Handler for Thief {}

fn init() -> Thief {
    let badge = Cap::<Notification>::from_bits(monitor_spec::abi::slot::NOTIFY_BASE).wait();
    debug_println!("STOLE a signal: badge {badge:#x}");
    Thief
}
