//! ATTACK0001, ATTACK0003: receives on its own fault endpoint (slot 2), to
//! take another PD's fault. Without the read right this is a cap fault of
//! its own, which its fault handler (the monitor, or its parent) reports.
#![no_std]
#![no_main]

use sel4::cap_type::Endpoint;
use sel4::Cap;
use sel4_microkit::{debug_println, protection_domain, Handler};

protection_domain!(init);

struct Thief;
impl Handler for Thief {}

fn init() -> Thief {
    let (info, badge) = Cap::<Endpoint>::from_bits(monitor_spec::abi::slot::FAULT_EP).recv();
    debug_println!("STOLE a message: badge {badge:#x} label {}", info.label());
    Thief
}
