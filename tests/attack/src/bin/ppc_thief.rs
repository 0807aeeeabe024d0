//! ATTACK0002: receives on its PPC cap to the server (slot 74 + channel 0),
//! to take the calls other PDs make to it. Without the read right this is a
//! cap fault of its own, which the monitor reports.
#![no_std]
#![no_main]

use sel4_microkit::{protection_domain, Handler};

protection_domain!(init);

struct Thief;
impl Handler for Thief {}

fn init() -> Thief {
    attack_pds::receive_on(monitor_spec::abi::slot::PP_BASE);
    Thief
}
