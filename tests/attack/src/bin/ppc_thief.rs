//! ATTACK0002: receives on its PPC cap to the server (slot 74 + channel 0),
//! to take the calls other PDs make to it. Without the read right this is a
//! cap fault of its own, which the monitor reports.
#![no_std]
#![no_main]

use sel4::cap_type::Endpoint;
use sel4::Cap;
use sel4_microkit::{debug_println, protection_domain, Handler};

protection_domain!(init);

struct Thief;
impl Handler for Thief {}

fn init() -> Thief {
    let (info, badge) = Cap::<Endpoint>::from_bits(monitor_spec::abi::slot::PP_BASE).recv();
    debug_println!("STOLE a call: badge {badge:#x} label {}", info.label());
    Thief
}
