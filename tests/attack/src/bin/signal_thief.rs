//! ATTACK0008: waits on its notification cap to a peer (slot 10 + channel 0),
//! to take the signals others send that peer. The cap is write-only, so this
//! is a cap fault of its own, which the monitor reports.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Handler};

protection_domain!(init);

struct Thief;
impl Handler for Thief {}

fn init() -> Thief {
    attack_pds::receive_on(monitor_spec::abi::slot::NOTIFY_BASE);
    Thief
}
